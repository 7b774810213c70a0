-- The speech gate: what is not a voice speaking gets no emotion, and says why.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup

-- The evidence and the verdict for every fixture (speech: the RAVDESS clip only).
SELECT name, s.speech, s.reason, round(s.voiced_seconds::numeric, 2) AS voiced_seconds,
       s.bandwidth_hz >= 700 AS broad
FROM fixtures, ser_speech(audio) s WHERE name NOT LIKE 'empty%' ORDER BY name;

-- The prediction functions apply the same gate.
SELECT name, (ser_speech(audio)).speech = (ser_predict(audio) IS NOT NULL) AS predict_agrees,
       (ser_speech(audio)).speech = (ser_predict_proba(audio) IS NOT NULL) AS proba_agrees,
       (ser_classify(audio)).reason = (ser_speech(audio)).reason AS classify_agrees
FROM fixtures WHERE name NOT LIKE 'empty%' ORDER BY name;
SELECT c.label IS NULL AND c.confidence IS NULL AND c.probabilities IS NULL AS no_emotion, c.speech, c.reason,
       round(c.speech_seconds::numeric, 2) AS speech_seconds
FROM fixtures, ser_classify(audio) c WHERE name = 'tone440_16k.flac';
SELECT c.label = ANY (ser_emotions()) AS emotion, c.speech, c.reason, c.speech_seconds > 1 AS over_a_second
FROM fixtures, ser_classify(audio) c WHERE name = 'ravdess_03-01-05-02-01-01-01.wav';

-- STRICT; errors as for every audio function.
SELECT ser_speech(NULL) IS NULL AS null_audio;
SELECT sqlstate_of($$SELECT ser_speech('not audio'::bytea)$$);
SELECT sqlstate_of($$SELECT ser_speech(audio) FROM fixtures WHERE name = 'empty_16k.wav'$$);
SELECT sqlstate_of($$SELECT ser_predict(audio) FROM fixtures WHERE name = 'empty_16k.wav'$$);

-- Markings.
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p WHERE p.proname = 'ser_speech';
