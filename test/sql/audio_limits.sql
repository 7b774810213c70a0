-- ser.max_duration bounds what one call may decode.  (The setting exists
-- once the library is loaded, i.e. after the first ser call in a session.)
\getenv abs_srcdir PG_ABS_SRCDIR
\set test_setup :abs_srcdir '/sql/include/setup.psql'
\i :test_setup
SELECT cardinality(ser_decode(audio)) FROM fixtures WHERE name = 'silence_16k.wav';
SHOW ser.max_duration;

-- The 0.5 s fixture passes at 0.5 s and fails just below, whatever the function.
SET ser.max_duration = '0.5s';
SELECT cardinality(ser_decode(audio)) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SET ser.max_duration = 0.4;
SELECT ser_decode(audio) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
SELECT ser_audio_info(audio) FROM fixtures WHERE name = 'tone440_48k.opus';
SELECT sqlstate_of($$SELECT ser_decode(audio) FROM fixtures WHERE name = 'tone440_16k.flac'$$);
RESET ser.max_duration;
SHOW ser.max_duration;

-- Out-of-range settings are refused by the GUC machinery.
SET ser.max_duration = 0;
SET ser.max_duration = '2d';
-- The ser. prefix is reserved: a misspelt setting is an error, not a silent no-op.
SET ser.max_duraton = 10;

-- Only a superuser, or a role granted SET on the parameter, may change the
-- limit: it is what bounds the memory one call can take.
CREATE ROLE ser_limits_user;
GRANT SELECT ON fixtures TO ser_limits_user;
SET ROLE ser_limits_user;
SET ser.max_duration = 3600;
SELECT sqlstate_of($$SET ser.max_duration = 1$$) AS lowering_too;
SHOW ser.max_duration;
-- the limit applies to the role's calls as to everyone's
SELECT cardinality(ser_decode(audio)) FROM fixtures WHERE name = 'tone440_16k_pcm16.wav';
RESET ROLE;
GRANT SET ON PARAMETER ser.max_duration TO ser_limits_user;
SET ROLE ser_limits_user;
SET ser.max_duration = 1200;
SHOW ser.max_duration;
RESET ser.max_duration;
RESET ROLE;
REVOKE SET ON PARAMETER ser.max_duration FROM ser_limits_user;
REVOKE SELECT ON fixtures FROM ser_limits_user;
DROP ROLE ser_limits_user;
