package portal

import (
	"embed"
	"html/template"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// templateFiles are the portal's pages, one {{define}} per file; html/template
// escapes every value by where it lands (text, attribute, URL).
//
//go:embed templates/*.html
var templateFiles embed.FS

func parseTemplates() (*template.Template, error) {
	return template.New("portal").Funcs(template.FuncMap{
		"when": func(r healthcode.Record) string { return server.When(&r).Local().Format("2006-01-02 15:04:05") },
		"ts": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.Local().Format("2006-01-02 15:04")
		},
		"short": func(s string) string {
			if len(s) > 8 {
				return s[:8]
			}
			return s
		},
	}).ParseFS(templateFiles, "templates/*.html")
}
