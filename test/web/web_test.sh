#!/usr/bin/env bash
# ser-web tested as a person would use it: a throwaway cluster with the
# fixture recordings, ser-web started on a free port as an ordinary role,
# real and broken files uploaded with curl, the numbers on every page
# compared with the SQL behind them, bad requests answered with a 4xx page
# while the server stays up, every page opened in headless Chromium (DOM
# checked, a screenshot at phone and desktop width saved), and run.sh's HTML
# report.  Prints TAP; screenshots and pages go to $SER_WEB_TEST_OUTPUT
# (default test/web/output).  Expects ser built and installed (run_all.sh).
#
# Usage: bash test/web/web_test.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/src/tools/common.sh"
export PATH="$PGBIN:$PATH"

OUT=${SER_WEB_TEST_OUTPUT:-$ROOT/test/web/output}
rm -rf "$OUT"; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/ser-web-test.XXXXXX)
chmod 755 "$WORK"
WEB_PID=""
cleanup() {
	[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null
	stop_cluster
	rm -rf "$WORK"
}
trap cleanup EXIT

tests=0; failures=0
ok() {	# status description
	tests=$((tests + 1))
	if [ "$1" = 0 ]; then echo "ok $tests - $2"; else echo "not ok $tests - $2"; failures=$((failures + 1)); fi
}
is() {	# got expected description
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"; fi
}
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

# ---- the cluster, the data, an ordinary role ----
start_cluster "$WORK/cluster" >/dev/null
export PGDATABASE=postgres
cp -r "$ROOT/test/fixtures" "$WORK/fixtures"
chmod -R a+rX "$WORK/fixtures"
FIX=$WORK/fixtures
sql "SET client_min_messages = error;
     CREATE EXTENSION ser;
     SELECT FROM ser_load_ravdess('$FIX/ravdess_tree');
     CREATE ROLE ser_web_reader LOGIN;
     GRANT SELECT ON ravdess_metadata, ravdess_summary, ravdess_emotion_stats, ravdess_intensity_stats,
       ravdess_actor_stats, ravdess_gender_stats, ravdess_identical_content, ser_models, ser_evaluations,
       ser_evaluation_summary, ser_evaluation_recall, ser_evaluation_confusion TO ser_web_reader;
     GRANT CREATE ON SCHEMA public TO ser_web_reader;
     ALTER ROLE ser_web_reader SET ser.max_duration = 5;
     CREATE TABLE my_clips (id serial, audio bytea, label text);
     INSERT INTO my_clips (audio, label) SELECT audio, emotion_name FROM ravdess_metadata;
     INSERT INTO my_clips (audio, label)
       VALUES (pg_read_binary_file('$FIX/audio/tone440_16k.flac'), 'calm'), ('\\x0102', 'angry'), (NULL, 'sad');
     GRANT SELECT ON my_clips TO ser_web_reader;" >/dev/null
# With the RAVDESS corpus beside the repository, one more actor (60
# recordings) gives the upload form a speaker profile to offer.
SHARED_DIR=${SER_SHARED_DIR:-$ROOT/../shared}
PROFILE_ACTOR=""
if [ -d "$SHARED_DIR/data/ravdess16k/Actor_03" ]; then
	mkdir -p "$WORK/corpus"
	cp -r "$SHARED_DIR/data/ravdess16k/Actor_03" "$WORK/corpus/"
	chmod -R a+rX "$WORK/corpus"
	sql "SET client_min_messages = error; SELECT FROM ser_load_ravdess('$WORK/corpus')" >/dev/null && PROFILE_ACTOR=3
fi
# A trained model beside the shipped one, with a stored evaluation.
sql "SET client_min_messages = error;
     CREATE TABLE train_rows AS
     SELECT pg_read_binary_file('$FIX/audio/' || f) AS audio,
            CASE WHEN f LIKE 'tone440%' THEN 'tone' ELSE 'other' END AS label,
            (row_number() OVER (ORDER BY f) % 4)::text AS speaker
     FROM pg_ls_dir('$FIX/audio') f WHERE f NOT LIKE 'empty%';
     SELECT FROM ser_train('tiny_web', 'SELECT audio, label, speaker FROM train_rows', epochs => 2,
                           batch_size => 4, ensemble => 1);
     INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, predicted, value)
     SELECT 'tiny 2-fold', 'tiny_web', e.* FROM ser_evaluate('SELECT audio, label, speaker FROM train_rows',
       folds => 2, epochs => 1, batch_size => 4, ensemble => 1) e;" >/dev/null
is "$(sql "SELECT rolsuper FROM pg_roles WHERE rolname = 'ser_web_reader'")" "f" "ser-web connects as a role that is not a superuser"

# ---- ser-web on a free port, uploads bounded by ser.max_duration = 5 s ----
# 5 s of 48 kHz 16-bit stereo is 960,000 bytes, plus 1 MiB for the form.
LIMIT=$((5 * 192000 + 1048576))
PORT=""
for port in $(seq 18080 18180); do
	ss -ltn 2>/dev/null | grep -q ":$port " && continue
	PGUSER=ser_web_reader ser-web --port "$port" >"$WORK/web.log" 2>&1 &
	WEB_PID=$!
	for _ in $(seq 50); do
		grep -q '^ser-web: http://' "$WORK/web.log" && break
		kill -0 "$WEB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^ser-web: http://' "$WORK/web.log"; then PORT=$port; break; fi
	wait "$WEB_PID" 2>/dev/null; WEB_PID=""
done
[ -n "$PORT" ] || { cat "$WORK/web.log"; echo "Bail out! ser-web did not start"; exit 1; }
URL=http://127.0.0.1:$PORT
is "$(head -1 "$WORK/web.log")" "ser-web: http://127.0.0.1:$PORT/ (uploads up to $LIMIT bytes)" \
	"ser-web binds 127.0.0.1 and bounds uploads by ser.max_duration"

get() {	# path name: saves the page as $OUT/name.html, prints the status
	curl -s -o "$OUT/$2.html" -w '%{http_code}' "$URL$1"
}
# name=value of the bars of the card with id $2 in page $1
bars() {
	awk -v id="id=\"$2\"" 'index($0, id) {p = 1} p {print} p && /<\/details>/ {exit}' "$OUT/$1.html" |
		grep -o 'data-label="[^"]*" data-value="[^"]*"' | sed 's/data-label="\([^"]*\)" data-value="\([^"]*\)"/\1=\2/' |
		tr '\n' ' ' | sed 's/ $//'
}

# ---- home ----
is "$(get / home)" 200 "GET / answers 200"
is "$(grep -o '<p class="stat" id="ser-version">[^<]*' "$OUT/home.html" | sed 's/.*>//')" \
	"$(sql "SELECT extversion FROM pg_extension WHERE extname = 'ser'")" "home shows the extension version"
is "$(grep -o '<p class="stat" id="recordings">[^<]*' "$OUT/home.html" | sed 's/.*>//')" \
	"$(sql "SELECT count(*) FROM ravdess_metadata")" "home shows the number of recordings"
is "$(grep -o '<p class="stat" id="models">[^<]*' "$OUT/home.html" | sed 's/.*>//')" \
	"$(sql "SELECT 1 + count(*) FROM ser_models")" "home shows the number of models"
grep -q '<form id="upload" method="post" action="/predict" enctype="multipart/form-data">' "$OUT/home.html"
ok $? "home has the upload form"

# ---- dataset ----
is "$(get /dataset dataset)" 200 "GET /dataset answers 200"
is "$(bars dataset emotion-counts)" \
	"$(sql "SELECT string_agg(emotion_name || '=' || clips, ' ' ORDER BY emotion) FROM ravdess_emotion_stats")" \
	"dataset: recordings per emotion as in ravdess_emotion_stats"
is "$(bars dataset actor-counts)" \
	"$(sql "SELECT string_agg(format('%s (%s)=%s', actor, gender, clips), ' ' ORDER BY actor) FROM ravdess_actor_stats")" \
	"dataset: recordings per actor as in ravdess_actor_stats"
is "$(bars dataset gender-counts)" \
	"$(sql "SELECT string_agg(gender || '=' || clips, ' ' ORDER BY gender) FROM ravdess_gender_stats")" \
	"dataset: recordings per gender as in ravdess_gender_stats"
is "$(grep -c '<td>[0-9a-f]\{64\}</td>' "$OUT/dataset.html")" "$(sql "SELECT count(*) FROM ravdess_identical_content")" \
	"dataset: one row per byte-identical group"
is "$(get '/dataset?table=my_clips' dataset_table)" 200 "GET /dataset?table=my_clips answers 200"
is "$(bars dataset_table label-counts)" \
	"$(sql "SELECT string_agg(label || '=' || n, ' ' ORDER BY array_position(ser_emotions(), label))
	        FROM (SELECT label, count(*) AS n FROM my_clips GROUP BY label) c")" \
	"dataset of another table: recordings per label as in SQL"
grep -q 'unreadable: no audio' "$OUT/dataset_table.html"; ok $? "dataset of another table: a NULL recording is counted as unreadable"
is "$(get '/dataset?table=no_such_table' dataset_missing)" 404 "a missing table answers 404"
grep -q 'relation &quot;no_such_table&quot; does not exist' "$OUT/dataset_missing.html"
ok $? "a missing table's page says which relation does not exist"
is "$(get '/dataset?table=my_clips&audio=nope' dataset_bad_column)" 400 "a missing column answers 400"
is "$(get '/dataset?table=%3Cscript%3Ealert(1)%3C/script%3E' dataset_script)" 404 "a table name with markup answers 404"
grep -q '<script>' "$OUT/dataset_script.html"; ok $((! $?)) "the table name is escaped, not run"

# ---- model ----
is "$(get /model model)" 200 "GET /model answers 200"
grep -q 'data-model="default"' "$OUT/model.html"; ok $? "model page shows the shipped model"
is "$(grep -o '<b>Classes:</b> [^<]*' "$OUT/model.html" | head -1 | sed 's/.*> //')" \
	"$(sql "SELECT array_to_string(classes, ', ') FROM ser_model_info('default')")" "model page: the classes of ser_model_info"
profiles_protocol=$(sql "SELECT protocol FROM ser_evaluation_summary WHERE evaluation = 'model card' AND protocol LIKE '%with speaker profiles%'")
is "$(grep -o 'data-label="[^"]*" data-value="[^"]*"' "$OUT/model.html" | head -8 | sed 's/data-label="\([^"]*\)" data-value="\([^"]*\)"/\1=\2/' | tr '\n' ' ' | sed 's/ $//')" \
	"$(sql "SELECT string_agg(emotion || '=' || to_char(recall, 'FM0.0000'), ' ') FROM ser_evaluation_recall
	        WHERE evaluation = 'model card' AND protocol = '$profiles_protocol'")" \
	"model page: recall bars of the model card as in ser_evaluation_recall"
is "$(grep -o 'class="cell" data-actual="sad" data-predicted="calm" data-value="[0-9]*"' "$OUT/model.html" | head -1 | grep -o '[0-9]*"$' | tr -d '"')" \
	"$(sql "SELECT recordings FROM ser_evaluation_confusion WHERE evaluation = 'model card'
	        AND protocol = '$profiles_protocol' AND actual = 'sad' AND predicted = 'calm'")" \
	"model page: a confusion cell as in ser_evaluation_confusion"
is "$(grep -o 'class="cell"' "$OUT/model.html" | wc -l)" "$(sql "SELECT count(*) FROM ser_evaluation_confusion")" \
	"model page: one heat-map cell per confusion cell"
grep -q 'data-model="tiny_web"' "$OUT/model.html"; ok $? "model page shows the trained model"
is "$(grep -o '<b>Classes:</b> [^<]*' "$OUT/model.html" | sed -n 2p | sed 's/.*> //')" \
	"$(sql "SELECT array_to_string(classes, ', ') FROM ser_model_info('tiny_web')")" "model page: the trained model's classes"
grep -q '<option value="tiny_web">tiny_web</option>' "$OUT/home.html"; ok $? "the form offers the trained model"
is "$(awk '/data-model="tiny_web"/ {p = 1} p' "$OUT/model.html" | grep -o 'class="cell" data-actual="[a-z]*" data-predicted="[a-z]*" data-value="[0-9]*"' | cut -d'"' -f4,6,8 | tr '"' ' ' | tr '\n' ';')" \
	"$(sql "SELECT string_agg(actual || ' ' || predicted || ' ' || recordings, ';' ORDER BY protocol, actual, predicted) || ';'
	        FROM ser_evaluation_confusion WHERE evaluation = 'tiny 2-fold'")" \
	"model page: the stored evaluation's confusion matrices as in SQL"
# The model card's rows in the install script are model/evaluation.txt's.
awk -f "$ROOT/src/client/web/model_card_rows.awk" "$ROOT/model/evaluation.txt" > "$WORK/card.sql"
diff <(sed -n '4,$p' "$WORK/card.sql") \
	<(awk '/^FROM \(VALUES$/ {p = 1; next} p {print} p && /USING \(mode\);$/ {exit}' "$ROOT/sql/install/50_presentation.sql") >/dev/null
ok $? "the install script's model card rows are model/evaluation.txt's"

# ---- upload & predict ----
head -c 20000 "$FIX/ravdess/03-01-05-02-01-01-01.wav" > "$WORK/truncated.wav"
printf '\0\0\0\030ftypM4A \0\0\0\0M4A mp42isom' > "$WORK/voice.m4a"
: > "$WORK/empty.wav"
sox -n -r 16000 -c 1 "$WORK/long_8s.flac" synth 8 sine 300 2>/dev/null
# Speech, and recordings that are not speech in every container (no emotion: the speech gate).
GOOD="ravdess/03-01-05-02-01-01-01.wav librosa/03-01-01-01-01-01-01.flac librosa/03-01-04-02-02-02-02.flac"
NOSPEECH="audio/tone440_16k.flac audio/tone440_48k.ogg audio/tone440_48k.opus audio/tone440_44k.mp3 audio/tone440_44k.aiff"
args=()
for f in $GOOD $NOSPEECH audio/silence_16k.wav; do args+=(-F "audio=@$FIX/$f"); done
for f in truncated.wav voice.m4a empty.wav long_8s.flac; do args+=(-F "audio=@$WORK/$f"); done
is "$(curl -s -o "$OUT/predict_result.html" -w '%{http_code}' "${args[@]}" -F store=web_uploads "$URL/predict")" 200 \
	"POST /predict with 13 files answers 200"
is "$(grep -c 'class="card prediction' "$OUT/predict_result.html")" 13 "one card per uploaded file"
for f in $GOOD; do
	name=$(basename "$f")
	card=$(grep "data-file=\"$name\"" "$OUT/predict_result.html" | head -1)
	expected=$(sql "SELECT label || ' ' || to_char(confidence, 'FM0.0000') FROM ser_classify(pg_read_binary_file('$FIX/$f'))")
	emotion=$(grep -o 'data-emotion="[^"]*"' <<<"$card" | cut -d'"' -f2)
	value=$(grep -o "data-label=\"$emotion\" data-value=\"[^\"]*\"" <<<"$card" | cut -d'"' -f4)
	is "$emotion $value" "$expected" "$name: predicted emotion and its probability as ser_classify"
	format=$(grep -o '<p class="muted">[^<,]*' <<<"$card" | head -1 | sed 's/.*>//')
	is "$format" "$(sql "SELECT format FROM ser_audio_info(pg_read_binary_file('$FIX/$f'))")" "$name: format as ser_audio_info"
	is "$(grep -o 'class="bar"' <<<"$card" | wc -l)" 8 "$name: a bar per class"
done
grep -q 'data-file="silence_16k.wav" data-emotion="no speech"' "$OUT/predict_result.html"; ok $? "silence: no speech"
for f in $NOSPEECH; do
	name=$(basename "$f")
	grep -q "data-file=\"$name\" data-emotion=\"no speech\"" "$OUT/predict_result.html"
	ok $? "$name: no speech, as ser_speech says ($(sql "SELECT reason FROM ser_speech(pg_read_binary_file('$FIX/$f'))"))"
	card=$(grep "data-file=\"$name\"" "$OUT/predict_result.html" | head -1)
	format=$(grep -o '<p class="muted">[^<,]*' <<<"$card" | head -1 | sed 's/.*>//')
	is "$format" "$(sql "SELECT format FROM ser_audio_info(pg_read_binary_file('$FIX/$f'))")" "$name: format as ser_audio_info"
done
grep -A1 'data-file="truncated.wav"' "$OUT/predict_result.html" | grep -q '<p class="message">audio data is truncated'
ok $? "a truncated file: the decoder's message"
grep 'data-file="voice.m4a"' "$OUT/predict_result.html" | grep -q '<p class="message">audio container MPEG-4 (M4A/AAC/MP4) is not supported'
ok $? "an M4A: the decoder's message"
grep -q 'data-file="empty.wav".*empty file' "$OUT/predict_result.html"; ok $? "an empty file: said so"
grep -q 'data-file="long_8s.flac".*ser.max_duration' "$OUT/predict_result.html"
ok $? "a recording longer than ser.max_duration: the server's message"
is "$(sql "SELECT string_agg(file_name || '=' || coalesce(predicted, 'none'), ' ' ORDER BY file_name) FROM web_uploads")" \
	"$(for f in $GOOD $NOSPEECH audio/silence_16k.wav; do n=$(basename "$f"); grep -o "data-file=\"$n\" data-emotion=\"[^\"]*\"" "$OUT/predict_result.html" | cut -d'"' -f2,4 | sed 's/"/=/; s/=no speech$/=none/'; done | sort | tr '\n' ' ' | sed 's/ $//')" \
	"the readable recordings are stored in the table named, with their predictions"
is "$(sql "SELECT count(*) FROM web_uploads WHERE audio = pg_read_binary_file('$FIX/ravdess/03-01-05-02-01-01-01.wav')")" 1 \
	"a stored recording has the uploaded bytes"

# ---- names from outside are text, never markup or SQL ----
f=audio/tone440_16k.flac
is "$(curl -s -o "$OUT/predict_names.html" -w '%{http_code}' -F "audio=@$FIX/$f;filename=<img src=x onerror=alert(1)>.flac" \
	--form-string 'store=odd "name"; DROP TABLE my_clips; --' "$URL/predict")" 200 "an upload with a file name and a table name full of markup and SQL"
grep -q '&lt;img src=x onerror=alert(1)&gt;.flac' "$OUT/predict_names.html" && ! grep -q '<img' "$OUT/predict_names.html"
ok $? "the file name is shown escaped"
is "$(sql "SELECT count(*) FROM \"odd \"\"name\"\"; DROP TABLE my_clips; --\"") $(sql "SELECT to_regclass('my_clips') IS NOT NULL")" "1 t" \
	"the table name is one identifier: the recording is stored in a table of that name, nothing else runs"

# ---- several requests at once ----
pids=()
for i in 1 2 3 4 5 6; do
	curl -s -o "$WORK/parallel_$i.html" -w '%{http_code}\n' -F "audio=@$FIX/ravdess/03-01-05-02-01-01-01.wav" "$URL/predict" \
		> "$WORK/parallel_$i.status" &
	pids+=($!)
done
wait "${pids[@]}"
is "$(cat "$WORK"/parallel_*.status | sort | uniq -c | sed 's/^ *//')" "6 200" "six uploads at once all answer 200"
is "$(grep -h -o 'data-emotion="[^"]*"' "$WORK"/parallel_*.html | sort -u)" \
	"data-emotion=\"$(sql "SELECT ser_predict(pg_read_binary_file('$FIX/ravdess/03-01-05-02-01-01-01.wav'))")\"" \
	"and all give ser_predict's answer"

# ---- another model ----
f=librosa/03-01-04-02-02-02-02.flac
is "$(curl -s -o "$OUT/predict_model.html" -w '%{http_code}' -F "audio=@$FIX/$f" -F model=tiny_web "$URL/predict")" 200 \
	"POST /predict with the trained model answers 200"
card=$(grep 'data-file="03-01-04-02-02-02-02.flac"' "$OUT/predict_model.html" | head -1)
emotion=$(grep -o 'data-emotion="[^"]*"' <<<"$card" | cut -d'"' -f2)
is "$emotion $(grep -o "data-label=\"$emotion\" data-value=\"[^\"]*\"" <<<"$card" | cut -d'"' -f4) $(grep -o 'class="bar"' <<<"$card" | wc -l)" \
	"$(sql "SELECT label || ' ' || to_char(confidence, 'FM0.0000') || ' 2' FROM ser_classify(pg_read_binary_file('$FIX/$f'), 'tiny_web')")" \
	"with the trained model: its label, probability and a bar for each of its two classes"

# ---- a speaker profile ----
if [ -z "$PROFILE_ACTOR" ]; then
	echo "# SKIP speaker profile: $SHARED_DIR/data/ravdess16k not present (set SER_SHARED_DIR)"
else
	grep -q "<option value=\"$PROFILE_ACTOR\">RAVDESS actor $PROFILE_ACTOR " "$OUT/home.html"
	ok $? "the form offers the profile of the actor with ten or more recordings"
	f=ravdess/03-01-05-02-01-01-01.wav
	is "$(curl -s -o "$OUT/predict_profile.html" -w '%{http_code}' -F "audio=@$FIX/$f" -F profile=$PROFILE_ACTOR "$URL/predict")" 200 \
		"POST /predict with a speaker profile answers 200"
	card=$(grep 'data-file="03-01-05-02-01-01-01.wav"' "$OUT/predict_profile.html" | head -1)
	emotion=$(grep -o 'data-emotion="[^"]*"' <<<"$card" | cut -d'"' -f2)
	value=$(grep -o "data-label=\"$emotion\" data-value=\"[^\"]*\"" <<<"$card" | cut -d'"' -f4)
	is "$emotion $value" "$(sql "SELECT label || ' ' || to_char(confidence, 'FM0.0000') FROM ser_classify(pg_read_binary_file('$FIX/$f'),
		speaker_profile => (SELECT ser_speaker_profile(audio) FROM ravdess_metadata WHERE actor = $PROFILE_ACTOR AND NOT identical_content))")" \
		"with a profile: the emotion and probability of ser_classify(..., speaker_profile => ...)"
	grep -q "speaker profile: RAVDESS actor $PROFILE_ACTOR" <<<"$card"; ok $? "the card names the profile used"
fi

# ---- bad requests: a clear page, a 4xx, the server stays up ----
head -c $((LIMIT + 1)) /dev/zero > "$WORK/too_big.wav"
is "$(curl -s -o "$OUT/error_413.html" -w '%{http_code}' -F "audio=@$WORK/too_big.wav" "$URL/predict")" 413 \
	"an upload beyond the bound answers 413"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -F "audio=@$WORK/too_big.wav" "$URL/predict")" 413 \
	"a chunked upload beyond the bound answers 413"
is "$(curl -s -o "$OUT/error_415.html" -w '%{http_code}' -H 'Content-Type: audio/wav' --data-binary "@$WORK/truncated.wav" "$URL/predict")" 415 \
	"an upload that is not multipart/form-data answers 415"
is "$(curl -s -o /dev/null -w '%{http_code}' -F model=default "$URL/predict")" 400 "an upload without a file answers 400"
head -c 50000 /dev/urandom > "$WORK/noise.bin"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary "@$WORK/noise.bin" "$URL/predict")" 400 \
	"a multipart body that is noise answers 400"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: multipart/form-data' --data-binary "@$WORK/noise.bin" "$URL/predict")" 415 \
	"a multipart body without a boundary answers 415"
is "$(curl -s -o /dev/null -w '%{http_code}' -F "audio=@$WORK/truncated.wav" -F profile=x "$URL/predict")" 400 \
	"a profile that is not an actor number answers 400"
is "$(curl -s -o /dev/null -w '%{http_code}' -F "audio=@$WORK/truncated.wav" -F model=no_such_model "$URL/predict")" 200 \
	"an unknown model: the page answers"
is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/model")" 405 "a method a page does not take answers 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -X GET --data-binary "@$WORK/truncated.wav" "$URL/model")" 200 \
	"a GET with a body: the body is ignored"
is "$(get /etc/passwd error_404)" 404 "a path outside the app answers 404"
is "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/../../etc/passwd")" 404 "a path climbing out answers 404"
for page in error_413 error_415 error_404; do
	grep -q 'id="error"' "$OUT/$page.html"; ok $? "$page is a page that says what went wrong"
done
kill -0 "$WEB_PID" 2>/dev/null; ok $? "the server is still running"
is "$(get / home_again)" 200 "and still answers"

# ---- run.sh's HTML report, from the same rendering code ----
( export PGUSER=postgres; SER_RUN_SCHEMA=web_run SER_REPORT="$OUT/report.html" bash "$ROOT/src/tools/run.sh" "$FIX/ravdess_tree" ) >"$WORK/run.log" 2>&1
ok $? "SER_REPORT=... src/tools/run.sh writes a report"
is "$(grep -c 'class="card prediction' "$OUT/report.html" 2>/dev/null)" "$(sql "SELECT count(*) FROM web_run.run_results")" \
	"report: one card per recording of web_run.run_results"
is "$(grep -o 'class="cell"' "$OUT/report.html" 2>/dev/null | wc -l)" 64 "report: an 8 x 8 confusion matrix"
is "$(grep -o 'data-actual="angry" data-predicted="[a-z]*" data-value="[1-9][0-9]*"' "$OUT/report.html" | cut -d'"' -f4,6 | tr '"' '=' | tr '\n' ' ' | sed 's/ $//')" \
	"$(sql "SELECT string_agg(predicted || '=' || count, ' ' ORDER BY array_position(ser_emotions(), predicted)) FROM
	        (SELECT predicted, count(*) FROM web_run.run_results WHERE actual = 'angry' AND predicted IS NOT NULL GROUP BY predicted) c")" \
	"report: the angry row of the confusion matrix as in web_run.run_results"

# ---- every page in headless Chromium ----
CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
		--no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1
	CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
	echo "# SKIP browser tests: Debian's chromium is not installed and could not be installed with apt"
else
	browser() {
		local profile
		profile=$(mktemp -d "$WORK/chromium.XXXXXX")
		timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --no-first-run --disable-sync --hide-scrollbars \
			--user-data-dir="$profile" "$@" 2>/dev/null
	}
	# name URL what-the-DOM-must-hold widths height; the DOM comes with the
	# first screenshot, the second width is taken at the same time.
	while read -r name address expect widths height; do
		pids=()
		for width in ${widths//,/ }; do
			if [ "$width" = 390 ]; then
				browser --dump-dom --screenshot="$OUT/$name-phone.png" --window-size=390,"$height" "$address" \
					> "$OUT/$name.dom.html" &
			else
				browser --screenshot="$OUT/$name-desktop.png" --window-size=1280,"$height" "$address" >/dev/null &
			fi
			pids+=($!)
		done
		wait "${pids[@]}"	# not ser-web, also a child
		grep -q "$expect" "$OUT/$name.dom.html"; ok $? "Chromium: $name has $expect"
		grep -Eq '(src|href)="https?://' "$OUT/$name.dom.html"; ok $((! $?)) "Chromium: $name fetches nothing from outside"
		for width in ${widths//,/ }; do
			shot=$OUT/$name-$([ "$width" = 390 ] && echo phone || echo desktop).png
			[ "$(stat -c %s "$shot" 2>/dev/null || echo 0)" -gt 10000 ]
			ok $? "Chromium: screenshot of $name at $width px"
		done
	done <<-PAGES
	home $URL/ id="ser-version" 390,1280 1800
	predict $URL/predict id="upload" 390,1280 1200
	dataset $URL/dataset id="emotion-counts" 390,1280 4000
	dataset_table $URL/dataset?table=my_clips id="label-counts" 390,1280 3000
	model $URL/model class="cell" 390,1280 6000
	predict_result file://$OUT/predict_result.html data-emotion="angry" 390,1280 5000
	report file://$OUT/report.html class="cell" 390,1280 5000
	not_found $URL/nowhere id="error" 390 800
	missing_table $URL/dataset?table=no_such_table id="error" 390 800
	PAGES
fi

echo "1..$tests"
echo "# pages and screenshots in $OUT"
[ "$failures" = 0 ]
