/*  test_null_collector.h - a ROUTER that answers every batch STORED without
 *  storing it: vigil-loadgen --null-collector, to measure what the generator
 *  alone can send. */
#ifndef TEST_NULL_COLLECTOR_H
#define TEST_NULL_COLLECTOR_H

typedef struct {
    void *ctx; /* the ZeroMQ context to make the socket in */
    const char *endpoint;
    volatile int stop; /* set (atomically) to end the thread */
    int bound;         /* set by the thread: 1 bound, -1 failed */
} test_null_collector_t;

/* The thread's body (pthread_create with a test_null_collector_t). */
void *test_null_collector_run (void *arg);

#endif
