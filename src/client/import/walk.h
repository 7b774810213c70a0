/*
 * walk.h — the files an import reads: every argument that is a file, and
 * every file under an argument that is a folder (recursively, symbolic
 * links followed, each folder visited once, entries whose name starts with
 * '.' skipped), kept when sniff.h recognises it as audio.
 */
#ifndef SER_IMPORT_WALK_H
#define SER_IMPORT_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ImportFile
{
	char	   *path;			/* as the program opens it */
	const char *relative;		/* points into path: the part below the argument folder, or the base name */
	int64_t		size;			/* at the walk; the load uses what it reads */
} ImportFile;

typedef struct FileList
{
	ImportFile *items;
	size_t		count;
	size_t		capacity;
} FileList;

/*
 * Add the files of one argument to list.  Unreadable folders and files are
 * reported as failures; returns false only when memory runs out.
 */
bool		walk_argument(const char *argument, FileList *list);

/* Sort by path and drop a file named twice (two arguments that overlap). */
void		walk_finish(FileList *list);

void		walk_free(FileList *list);

#endif							/* SER_IMPORT_WALK_H */
