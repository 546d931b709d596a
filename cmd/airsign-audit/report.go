package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"html/template"
	"runtime"
	"time"

	"airsign/cmd/internal/qrfiles"
)

// Every check reports in the form asked for: text for a person at the
// terminal (the default), JSON for a program, CSV for a spreadsheet, and,
// besides any of them, a one-page HTML summary to file or print (--html).

// output is what --format, --json and --html asked for.
type output struct {
	format string // "text", "json" or "csv"
	html   string // the HTML summary's file, or ""
}

// outputFlags are a check's report flags, until parsed.
type outputFlags struct {
	format *string
	json   *bool
	html   *string
}

func addOutputFlags(fs *flag.FlagSet) outputFlags {
	return outputFlags{fs.String("format", "text", ""), fs.Bool("json", false, ""), fs.String("html", "", "")}
}

// output checks the flags: --json is --format json, as before --format.
func (f outputFlags) output() (output, error) {
	o := output{format: *f.format, html: *f.html}
	switch o.format {
	case "text", "json", "csv":
	default:
		return o, usageError(fmt.Sprintf("--format %q: give text, json or csv", o.format))
	}
	if *f.json {
		if o.format != "text" && o.format != "json" {
			return o, usageError("--json is --format json: give one format")
		}
		o.format = "json"
	}
	return o, nil
}

// summary is a check's result as a person reads it at a glance: the CSV
// rows and the HTML page.
type summary struct {
	Check   string // the command, "verify-log"
	Subject string // what was checked, e.g. the file names
	OK      bool
	Verdict string // the report's last line, "OK: …" or "PROBLEM: …"
	Facts   []fact
	Columns []string
	Rows    [][]string
}

type fact struct{ Label, Value string }

// report writes the check's report in o's format (v is the JSON report,
// text prints the text one), then the HTML summary if asked for.
func (c *cli) report(o output, v any, text func(), s summary) error {
	switch o.format {
	case "json":
		if err := writeJSON(c.stdout, v); err != nil {
			return err
		}
	case "csv":
		w := csv.NewWriter(c.stdout)
		w.Write(s.Columns)
		w.WriteAll(s.Rows)
		if err := w.Error(); err != nil {
			return err
		}
	default:
		text()
	}
	if o.html == "" {
		return nil
	}
	page, err := htmlSummary(s, time.Now())
	if err != nil {
		return err
	}
	return qrfiles.WriteExclusive(o.html, page)
}

// htmlPage is the summary page: one self-contained file, no scripts, no
// links out, everything escaped by html/template.
var htmlPage = template.Must(template.New("summary").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>airsign-audit {{.S.Check}}: {{if .S.OK}}OK{{else}}PROBLEM{{end}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
.verdict { padding: .8em 1em; margin: 1em 0; border-radius: 4px; font-weight: bold; }
.ok { background: #e3f4e1; border: 1px solid #5a9e52; }
.problem { background: #fbe3e1; border: 1px solid #c0392b; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.facts th { width: 12em; }
footer { color: #666; font-size: 12px; margin-top: 2em; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>airsign-audit {{.S.Check}}</h1>
<div>{{.S.Subject}}</div>
<div class="verdict {{if .S.OK}}ok{{else}}problem{{end}}">{{.S.Verdict}}</div>
{{if .S.Facts}}<table class="facts">
{{range .S.Facts}}<tr><th>{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>{{end}}
{{if .S.Rows}}<table>
<tr>{{range .S.Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .S.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<footer>made by airsign-audit {{.Version}} ({{.Go}}) at {{.At}}, offline, from the files named above</footer>
</body>
</html>
`))

func htmlSummary(s summary, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	err := htmlPage.Execute(&b, struct {
		S               summary
		Version, Go, At string
	}{s, version, runtime.Version(), now.UTC().Format("2006-01-02 15:04:05Z")})
	return b.Bytes(), err
}

// yesNo is a check's ok as CSV and HTML show it.
func yesNo(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}
