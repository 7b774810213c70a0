-- The parameters every feature function uses, in the text form a model stores.
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT ser_feature_params();
SELECT split_part(kv, '=', 1) AS key, split_part(kv, '=', 2) AS value
FROM unnest(string_to_array(ser_feature_params(), ';')) WITH ORDINALITY AS u(kv, i)
WHERE split_part(kv, '=', 1) IN ('version', 'sample_rate', 'n_fft', 'win_length', 'hop_length', 'n_mels', 'n_mfcc')
ORDER BY i;
