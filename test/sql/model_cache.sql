-- Named models are kept per backend (src/pg/model_cache.c) and read again
-- only when the row version a statement sees is another one: a replacement,
-- committed or rolled back, and a deletion are all seen by the next
-- statement, also by a PL/pgSQL call site that lives for the transaction,
-- and a session using more models than the backend keeps gets each one's
-- own answers.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

CREATE TEMP TABLE train_rows AS
SELECT audio, CASE WHEN name LIKE 'tone440%' THEN 'tone' ELSE 'other' END AS label,
       (row_number() OVER (ORDER BY name) % 4)::text AS speaker
FROM fixtures WHERE name NOT LIKE 'empty%';
CREATE TEMP VIEW clip AS SELECT audio FROM fixtures WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- Five models that differ only in their seed, and what each one answers.
SET client_min_messages = warning;
SELECT count(*) AS trained
FROM generate_series(1, 5) s,
     LATERAL ser_train('cache_' || s, 'SELECT audio, label, speaker FROM train_rows', epochs => 1,
                       batch_size => 4, validation_fraction => 0, calibrate => false, seed => s);
RESET client_min_messages;
CREATE TEMP TABLE answers AS
SELECT s, ser_predict_proba(audio, 'cache_' || s) AS probs FROM clip, generate_series(1, 5) s;
SELECT count(DISTINCT probs) AS distinct_answers FROM answers;
CREATE TEMP TABLE weights_of AS SELECT name, weights FROM ser_models WHERE name LIKE 'cache_%';

-- Round after round over more models than a backend keeps (four): each
-- statement gets its model's own answer.
SELECT count(*) FILTER (WHERE ser_predict_proba(clip.audio, 'cache_' || a.s) = a.probs) AS right_answers,
       count(*) AS calls
FROM clip, generate_series(1, 3) round, answers a;

-- A replacement is seen by the next statement.
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 1) AS own_weights FROM clip;
UPDATE ser_models SET weights = (SELECT weights FROM weights_of WHERE name = 'cache_2') WHERE name = 'cache_1';
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 2) AS replaced FROM clip;

-- One rolled back is not.
BEGIN;
UPDATE ser_models SET weights = (SELECT weights FROM weights_of WHERE name = 'cache_3') WHERE name = 'cache_1';
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 3) AS replaced_in_transaction
FROM clip;
ROLLBACK;
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 2) AS after_rollback FROM clip;

-- A PL/pgSQL call site keeps its state for the transaction: it still sees
-- each statement's version.
CREATE FUNCTION cache_probe() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  seen text := '';
  p real[];
BEGIN
  FOR i IN 1..3 LOOP
    SELECT ser_predict_proba(audio, 'cache_1') INTO p FROM clip;
    seen := seen || (SELECT string_agg(s::text, '') FROM answers WHERE probs = p);
    IF i < 3 THEN
      UPDATE ser_models SET weights = (SELECT weights FROM weights_of WHERE name = 'cache_' || (i + 3))
      WHERE name = 'cache_1';
    END IF;
  END LOOP;
  RETURN seen;
END $$;
SELECT cache_probe() AS models_seen_in_order;
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 5) AS last_update FROM clip;

-- A deleted model is gone, although the backend had it loaded.
DELETE FROM ser_models WHERE name = 'cache_1';
SELECT ser_predict(audio, 'cache_1') FROM clip;
-- Another of that name is another model.
INSERT INTO ser_models (name, format_version, classes, feature_params, architecture, training, size_bytes, weights)
SELECT 'cache_1', format_version, classes, feature_params, architecture, training, size_bytes, weights
FROM ser_models WHERE name = 'cache_4';
SELECT ser_predict_proba(audio, 'cache_1') = (SELECT probs FROM answers WHERE s = 4) AS new_row FROM clip;

DROP FUNCTION cache_probe();
DELETE FROM ser_models WHERE name LIKE 'cache_%';
