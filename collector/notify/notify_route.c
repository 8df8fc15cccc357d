/*  notify_route.c - the route tree walked as Alertmanager walks it. */
#include "notify_route.h"
#include "vg_alloc.h"

#include <stdlib.h>
#include <string.h>

static size_t
s_match (const notify_route_t *r, const vg_label_t *labels, size_t n, const notify_route_t **out,
         size_t have, size_t max)
{
    if (!notify_matchers_match (&r->matchers, labels, n))
        return have;
    size_t start = have;
    for (size_t i = 0; i < r->nchildren; i++) {
        size_t before = have;
        have = s_match (r->children[i], labels, n, out, have, max);
        if (have > before && !r->children[i]->cont)
            break;
    }
    if (have == start && have < max)
        out[have++] = r;
    return have;
}

size_t
notify_route_match (const notify_route_t *root, const vg_label_t *labels, size_t n,
                    const notify_route_t **out, size_t max)
{
    return s_match (root, labels, n, out, 0, max);
}

static int
s_label_cmp (const void *a, const void *b)
{
    return strcmp (((const vg_label_t *)a)->key, ((const vg_label_t *)b)->key);
}

void
notify_route_sort_labels (vg_label_t *labels, size_t n)
{
    if (n > 1)
        qsort (labels, n, sizeof *labels, s_label_cmp);
}

vg_label_t *
notify_route_sorted_labels (const vg_label_t *labels, size_t n)
{
    vg_label_t *sorted = vg_calloc (n ? n : 1, sizeof *sorted);
    if (n)
        memcpy (sorted, labels, n * sizeof *labels);
    notify_route_sort_labels (sorted, n);
    return sorted;
}

size_t
notify_route_group_labels (const notify_route_t *route, const vg_label_t *labels, size_t n,
                           vg_label_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int take = route->group_by_all;
        for (size_t j = 0; !take && j < route->group_by.n; j++)
            take = strcmp (route->group_by.items[j], labels[i].key) == 0;
        if (take)
            out[k++] = labels[i];
    }
    notify_route_sort_labels (out, k);
    return k;
}

void
notify_route_labelset_string (vg_buf_t *out, const vg_label_t *labels, size_t n)
{
    vg_label_t *sorted = notify_route_sorted_labels (labels, n);
    vg_buf_puts (out, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_puts (out, ", ");
        vg_buf_puts (out, sorted[i].key);
        vg_buf_puts (out, "=");
        notify_matcher_go_quote (out, sorted[i].value);
    }
    vg_buf_puts (out, "}");
    free (sorted);
}

void
notify_route_group_key (vg_buf_t *out, const notify_route_t *route, const vg_label_t *labels,
                        size_t n)
{
    vg_label_t *g = vg_calloc (n ? n : 1, sizeof *g);
    size_t k = notify_route_group_labels (route, labels, n, g);
    vg_buf_puts (out, route->key);
    vg_buf_puts (out, ":");
    notify_route_labelset_string (out, g, k);
    free (g);
}
