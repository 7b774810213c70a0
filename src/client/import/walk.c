/*
 * walk.c — collect the files of an import (see walk.h).
 */
#include "client/import/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/import/report.h"
#include "client/import/sniff.h"

/* Folders already walked (device, inode): a symbolic link loop ends here. */
typedef struct VisitedDirs
{
	dev_t	   *dev;
	ino_t	   *ino;
	size_t		count;
	size_t		capacity;
} VisitedDirs;

static bool
visit_once(VisitedDirs *v, const struct stat *st, bool *first)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->dev[i] == st->st_dev && v->ino[i] == st->st_ino)
		{
			*first = false;
			return true;
		}
	if (v->count == v->capacity)
	{
		size_t		cap = v->capacity ? v->capacity * 2 : 64;
		dev_t	   *dev = realloc(v->dev, cap * sizeof(dev_t));
		ino_t	   *ino;

		if (dev == NULL)
			return false;
		v->dev = dev;
		ino = realloc(v->ino, cap * sizeof(ino_t));
		if (ino == NULL)
			return false;
		v->ino = ino;
		v->capacity = cap;
	}
	v->dev[v->count] = st->st_dev;
	v->ino[v->count] = st->st_ino;
	v->count++;
	*first = true;
	return true;
}

static bool
add_file(FileList *list, const char *path, size_t relative_offset, int64_t size)
{
	ImportFile *f;

	if (list->count == list->capacity)
	{
		size_t		cap = list->capacity ? list->capacity * 2 : 1024;
		ImportFile *items = realloc(list->items, cap * sizeof(ImportFile));

		if (items == NULL)
			return false;
		list->items = items;
		list->capacity = cap;
	}
	f = &list->items[list->count];
	f->path = strdup(path);
	if (f->path == NULL)
		return false;
	f->relative = f->path + relative_offset;
	f->size = size;
	list->count++;
	return true;
}

/*
 * Whether a file found by the walk is a candidate: audio content, or an
 * audio extension (then a file that turns out unreadable is a failure).
 */
static bool
is_candidate(const char *path)
{
	unsigned char head[SNIFF_BYTES];
	ssize_t		n;
	int			fd;

	if (sniff_audio_extension(path))
		return true;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;			/* not ours to judge: no audio name, and unreadable */
	n = read(fd, head, sizeof(head));
	close(fd);
	return n > 0 && sniff_container(head, (size_t) n) != NULL;
}

static bool
walk_dir(const char *dir, size_t relative_offset, FileList *list, VisitedDirs *visited)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	size_t		dir_len = strlen(dir);
	bool		ok = true;

	if (d == NULL)
	{
		report_file_failure(dir, "could not open folder: %s", strerror(errno));
		return true;
	}
	while (ok && (e = readdir(d)) != NULL)
	{
		char	   *path;
		struct stat st;
		bool		first;

		if (e->d_name[0] == '.')
			continue;
		path = malloc(dir_len + strlen(e->d_name) + 2);
		if (path == NULL)
		{
			ok = false;
			break;
		}
		if (dir_len > 0 && dir[dir_len - 1] == '/')
			sprintf(path, "%s%s", dir, e->d_name);
		else
			sprintf(path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			report_file_failure(path, "could not read: %s", strerror(errno));
		else if (S_ISDIR(st.st_mode))
		{
			if (!visit_once(visited, &st, &first))
				ok = false;
			else if (first)
				ok = walk_dir(path, relative_offset, list, visited);
		}
		else if (S_ISREG(st.st_mode))
		{
			if (is_candidate(path))
				ok = add_file(list, path, relative_offset, st.st_size);
			else
				report_add(&import_counters.ignored, 1);
		}
		free(path);
	}
	closedir(d);
	return ok;
}

bool
walk_argument(const char *argument, FileList *list)
{
	struct stat st;
	VisitedDirs visited = {0};
	bool		first;
	bool		ok = true;

	if (stat(argument, &st) != 0)
	{
		report_file_failure(argument, "could not read: %s", strerror(errno));
		return true;
	}
	if (S_ISDIR(st.st_mode))
	{
		size_t		len = strlen(argument);
		size_t		offset = len + (len > 0 && argument[len - 1] == '/' ? 0 : 1);

		if (!visit_once(&visited, &st, &first))
			return false;
		ok = walk_dir(argument, offset, list, &visited);
		free(visited.dev);
		free(visited.ino);
		return ok;
	}
	if (!S_ISREG(st.st_mode))
	{
		report_file_failure(argument, "not a regular file or folder");
		return true;
	}
	/* A file named on the command line is always a candidate: if it is not audio, that is a failure. */
	{
		const char *slash = strrchr(argument, '/');

		return add_file(list, argument, slash ? (size_t) (slash - argument + 1) : 0, st.st_size);
	}
}

static int
compare_paths(const void *a, const void *b)
{
	return strcmp(((const ImportFile *) a)->path, ((const ImportFile *) b)->path);
}

void
walk_finish(FileList *list)
{
	size_t		kept = 0;

	if (list->count > 1)
		qsort(list->items, list->count, sizeof(ImportFile), compare_paths);
	for (size_t i = 0; i < list->count; i++)
	{
		if (kept > 0 && strcmp(list->items[kept - 1].path, list->items[i].path) == 0)
		{
			free(list->items[i].path);
			continue;
		}
		list->items[kept++] = list->items[i];
	}
	list->count = kept;
}

void
walk_free(FileList *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].path);
	free(list->items);
	list->items = NULL;
	list->count = list->capacity = 0;
}
