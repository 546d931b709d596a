// Package web holds the coordinator's browser pages and assets: the
// html/template sources, the stylesheet and the small amount of plain
// JavaScript, all embedded so the coordinator serves them from its own
// binary on a closed network (no CDN, nothing fetched at run time).
//
// It imports the standard library only; online/web renders the pages with
// the coordinator's data and enforces who may see and do what.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static is the tree of assets served under /static/: app.css, app.js
// and the icon.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Pages parses every page with the shared layout and funcs; each page
// template defines "content" and is executed as "layout". The map is keyed
// by the page's file name without ".html" (login, wallets, ...).
func Pages(funcs template.FuncMap) (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("ui/web: page %s: %w", base, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("ui/web: page %s defines no \"content\"", base)
		}
		pages[base] = t
	}
	return pages, nil
}
