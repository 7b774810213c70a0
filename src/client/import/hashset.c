/*
 * hashset.c — SHA-256 digests, open addressing (see hashset.h).
 */
#include "client/import/hashset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum
{
	SLOT_EMPTY = 0,
	SLOT_OCCUPIED = 1,
	SLOT_REMOVED = 2
};

/* A digest is uniformly distributed already: its first bytes are the hash. */
static size_t
slot_of(const unsigned char *key, size_t n_slots)
{
	uint64_t	h;

	memcpy(&h, key, sizeof(h));
	return (size_t) h & (n_slots - 1);
}

static bool
allocate(HashSet *set, size_t n_slots)
{
	set->keys = malloc(n_slots * SHA256_LEN);
	set->used = calloc(n_slots, 1);
	if (set->keys == NULL || set->used == NULL)
	{
		free(set->keys);
		free(set->used);
		return false;
	}
	set->n_slots = n_slots;
	set->count = set->occupied = 0;
	return true;
}

bool
hashset_init(HashSet *set)
{
	pthread_mutex_init(&set->lock, NULL);
	return allocate(set, 4096);
}

void
hashset_free(HashSet *set)
{
	free(set->keys);
	free(set->used);
	pthread_mutex_destroy(&set->lock);
}

/* Slot holding key, or the slot where it would go; called with the lock held. */
static size_t
probe(const HashSet *set, const unsigned char *key, bool *found)
{
	size_t		mask = set->n_slots - 1;
	size_t		first_removed = SIZE_MAX;

	for (size_t i = slot_of(key, set->n_slots);; i = (i + 1) & mask)
	{
		if (set->used[i] == SLOT_EMPTY)
		{
			*found = false;
			return first_removed != SIZE_MAX ? first_removed : i;
		}
		if (set->used[i] == SLOT_REMOVED)
		{
			if (first_removed == SIZE_MAX)
				first_removed = i;
		}
		else if (memcmp(set->keys[i], key, SHA256_LEN) == 0)
		{
			*found = true;
			return i;
		}
	}
}

/* Rehash into twice the slots (or as many, to drop removed ones); lock held. */
static bool
grow(HashSet *set)
{
	HashSet		old = *set;
	size_t		n_slots = set->count * 4 > set->n_slots ? set->n_slots * 2 : set->n_slots;

	if (!allocate(set, n_slots))
	{
		set->keys = old.keys;
		set->used = old.used;
		set->n_slots = old.n_slots;
		set->count = old.count;
		set->occupied = old.occupied;
		return false;
	}
	for (size_t i = 0; i < old.n_slots; i++)
		if (old.used[i] == SLOT_OCCUPIED)
		{
			bool		found;
			size_t		j = probe(set, old.keys[i], &found);

			memcpy(set->keys[j], old.keys[i], SHA256_LEN);
			set->used[j] = SLOT_OCCUPIED;
			set->count++;
			set->occupied++;
		}
	free(old.keys);
	free(old.used);
	return true;
}

bool
hashset_add(HashSet *set, const unsigned char *key, bool *added)
{
	bool		found;
	size_t		i;
	bool		ok = true;

	pthread_mutex_lock(&set->lock);
	/* At most half the slots in use, removed ones included, so probes stay short. */
	if ((set->occupied + 1) * 2 > set->n_slots && !grow(set))
		ok = false;
	else
	{
		i = probe(set, key, &found);
		*added = !found;
		if (!found)
		{
			if (set->used[i] == SLOT_EMPTY)
				set->occupied++;
			memcpy(set->keys[i], key, SHA256_LEN);
			set->used[i] = SLOT_OCCUPIED;
			set->count++;
		}
	}
	pthread_mutex_unlock(&set->lock);
	return ok;
}

void
hashset_remove(HashSet *set, const unsigned char *key)
{
	bool		found;
	size_t		i;

	pthread_mutex_lock(&set->lock);
	i = probe(set, key, &found);
	if (found)
	{
		set->used[i] = SLOT_REMOVED;
		set->count--;
	}
	pthread_mutex_unlock(&set->lock);
}
