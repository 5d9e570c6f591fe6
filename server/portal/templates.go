package portal

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// templateFiles are the portal's pages, one {{define}} per page, with the
// frame in layout.html; html/template escapes every value by where it
// lands (text, attribute, URL). static/ holds the style sheet.
//
//go:embed templates/*.html templates/static
var templateFiles embed.FS

func parseTemplates() (*template.Template, error) {
	return template.New("portal").Funcs(template.FuncMap{
		"add": func(a, b int) int { return a + b },
	}).ParseFS(templateFiles, "templates/*.html")
}

// static serves the style sheet (the pages' CSP allows only this origin's).
func (p *Portal) static(w http.ResponseWriter, r *http.Request) {
	sub, err := fs.Sub(templateFiles, "templates/static")
	if err != nil {
		p.failInternal(w, r, nil, "static files", err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/portal/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}
