/*  test_zcert.h - a key from a czmq zcert file, for helper programs that
 *  act as CURVE clients without linking czmq. */
#ifndef TEST_ZCERT_H
#define TEST_ZCERT_H

/* Reads field ("public-key" or "secret-key") of the zcert file path into out
 * (Z85, 40 characters and a NUL). Returns 0, or -1 if it is not there. */
int test_zcert_key (const char *path, const char *field, char out[41]);

#endif
