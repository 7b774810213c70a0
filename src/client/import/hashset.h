/*
 * hashset.h — a set of SHA-256 digests shared by the workers of an import:
 * the contents already in the table, and those claimed by a batch of this
 * run, so that each content is loaded once.
 */
#ifndef SER_IMPORT_HASHSET_H
#define SER_IMPORT_HASHSET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define SHA256_LEN 32

typedef struct HashSet
{
	unsigned char (*keys)[SHA256_LEN];
	unsigned char *used;		/* 0 empty, 1 occupied, 2 removed */
	size_t		n_slots;		/* a power of two */
	size_t		count;
	size_t		occupied;		/* count + removed slots */
	pthread_mutex_t lock;
} HashSet;

bool		hashset_init(HashSet *set);
void		hashset_free(HashSet *set);

/* Add key; *added says whether it was new.  False when memory runs out. */
bool		hashset_add(HashSet *set, const unsigned char *key, bool *added);

void		hashset_remove(HashSet *set, const unsigned char *key);

#endif							/* SER_IMPORT_HASHSET_H */
