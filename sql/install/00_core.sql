-- ser: speech emotion recognition inside PostgreSQL.
-- This file is assembled from sql/install/*.sql at build time; edit the parts.

\echo Use "CREATE EXTENSION ser" to load this file. \quit
