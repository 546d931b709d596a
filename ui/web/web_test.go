package web

import (
	"html/template"
	"io/fs"
	"strings"
	"testing"
)

func TestPagesAndAssets(t *testing.T) {
	funcs := template.FuncMap{"btc": func(any) string { return "" }, "sat": func(any) string { return "" },
		"when": func(any) string { return "" }, "atLeast": func(any, string) bool { return false },
		"kindName": func(string) string { return "" }, "percent": func(float64) string { return "" }, "percentNum": func(float64) int { return 0 }}
	pages, err := Pages(funcs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"login", "error", "wallets", "wallet", "withdraw", "requests", "request", "audit", "keys"} {
		if pages[want] == nil || pages[want].Lookup("layout") == nil {
			t.Errorf("page %s is missing or has no layout", want)
		}
	}
	for _, name := range []string{"app.js", "app.css", "icon.svg"} {
		b, err := fs.ReadFile(Static(), name)
		if err != nil || len(b) == 0 {
			t.Errorf("asset %s: %v", name, err)
		}
	}
	// The CSP forbids inline script and style: the templates must not
	// need them.
	ents, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, e := range ents {
		b, _ := fs.ReadFile(templateFiles, e)
		for _, bad := range []string{"<style", " style=", "<script>", " onclick=", " onload=", "javascript:"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", e, bad)
			}
		}
	}
}
