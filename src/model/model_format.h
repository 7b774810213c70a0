/*
 * model_format.h — a model as bytes: a versioned, checksummed blob of named
 * tensors and texts (tensor_blob.h).  Every name, and the rule that every
 * version of ser reads the files of the versions before it, is in
 * model/README.md:
 *   arch, classes, features, train_info      texts
 *   norm.{frame,utt}_{mean,std}, <param>     the first member
 *   norm.population_profile                  speaker-normalised models only
 *   member<k>.norm.*, member<k>.<param>      further members, k from 1
 *   calibration.temperature                  [1], when not 1 (0.2.0)
 *   alone.arch, alone.<member tensors>,      the path without profiles of a
 *   alone.calibration.temperature            speaker-normalised model (0.2.0)
 */
#ifndef SER_MODEL_MODEL_FORMAT_H
#define SER_MODEL_MODEL_FORMAT_H

#include "model/model.h"

/* The blob format version written by ser_model_save. */
int			ser_model_format_version(void);

/* The model as a blob (ser_malloc'd; the caller frees it with ser_free). */
SerStatus	ser_model_save(const SerModel *model, unsigned char **blob, size_t *len, SerError *err);
/* Parse, verify (see tensor_blob.h) and check every tensor's name and shape. */
SerStatus	ser_model_load(const void *blob, size_t len, SerModel **out, SerError *err);

#endif							/* SER_MODEL_MODEL_FORMAT_H */
