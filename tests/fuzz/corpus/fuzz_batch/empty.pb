
agent-1web-1 –ÿ¼10N