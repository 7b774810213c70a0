# Turns the (first) speaker-independent part of model/evaluation.txt (the shipped
# model's evaluation, written by src/tools/train_default_model.sh) into rows
# of ser_evaluations, in the form ser_evaluate returns them.  Its output is
# the VALUES list of sql/install/50_presentation.sql; test/web/web_test.sh
# runs it again to check that the install script still says what the
# model card says.
#   awk -f src/client/web/model_card_rows.awk model/evaluation.txt
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function q(s) { gsub(/'/, "''", s); return "'" s "'" }
function row(mode, fold, metric, label, predicted, value) {
	rows = rows sprintf("%s  (%s, %s::int, %s, %s, %s, %s::float8)", sep, q(mode), fold, q(metric),
		label == "" ? "NULL" : q(label), predicted == "" ? "NULL" : q(predicted), value)
	sep = ",\n"
}
# The first speaker-independent section: the 16 kHz corpus the model was trained on.
/^== / { inside = $0 ~ /^== speaker-independent/ && !seen++; next }
/^elapsed/ { inside = 0 }
!inside { next }
/\|/ {
	n = split($0, c, "|")
	for (i = 1; i <= n; i++) c[i] = trim(c[i])
	if (c[1] == "mode") {           # a table header names the table
		header = c[2] "," c[3]
		if (c[2] == "true") for (i = 3; i <= n; i++) predicted[i] = c[i]
		next
	}
	if (c[1] !~ /^(profiles|alone)$/) next
	if (header == "protocol,") protocol[c[1]] = c[2]
	else if (header == "fold,metric") { row(c[1], c[2], c[3], "", "", c[4]); if (c[3] == "recordings") total[c[1]] += c[4] }
	else if (header == "metric,value") row(c[1], "NULL", c[2], "", "", c[3])
	else if (header == "class,recall") row(c[1], "NULL", "recall", c[2], "", c[3])
	else if (header == "true,neutral") for (i = 3; i <= n; i++) row(c[1], "NULL", "confusion", c[2], predicted[i], c[i])
}
END {
	print "INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, predicted, value)"
	print "SELECT 'model card', 'default', p.protocol, v.fold, v.metric, v.label, v.predicted, v.value"
	print "FROM (VALUES"
	row("profiles", "NULL", "recordings", "", "", total["profiles"])
	row("alone", "NULL", "recordings", "", "", total["alone"])
	print rows
	print ") AS v(mode, fold, metric, label, predicted, value)"
	printf "JOIN (VALUES (%s, %s),\n             (%s, %s)) AS p(mode, protocol) USING (mode);\n", \
		q("profiles"), q(protocol["profiles"]), q("alone"), q(protocol["alone"])
}
