/*  agent_inputs.c - the registry of input plugins. */
#include "agent_input.h"

#include <string.h>

extern const agent_input_plugin_t in_system_plugin;
extern const agent_input_plugin_t in_process_plugin;
extern const agent_input_plugin_t in_file_plugin;
extern const agent_input_plugin_t in_scrape_plugin;
extern const agent_input_plugin_t in_http_plugin;
extern const agent_input_plugin_t in_statsd_plugin;
extern const agent_input_plugin_t in_logtail_plugin;

const agent_input_plugin_t *const agent_input_plugins[] = {
    &in_system_plugin, &in_process_plugin, &in_file_plugin,    &in_scrape_plugin,
    &in_http_plugin,   &in_statsd_plugin,  &in_logtail_plugin, NULL,
};

const agent_input_plugin_t *
agent_input_find (const char *name)
{
    for (size_t i = 0; agent_input_plugins[i]; i++)
        if (strcmp (agent_input_plugins[i]->name, name) == 0)
            return agent_input_plugins[i];
    return NULL;
}
