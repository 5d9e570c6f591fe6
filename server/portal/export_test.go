package portal

import "strings"

// GetPaths lists the paths of the portal's GET pages (for the headers test).
func GetPaths(p *Portal) []string {
	var out []string
	for _, rt := range p.routes() {
		if rt.method == "GET" {
			out = append(out, strings.TrimSuffix(rt.path, "{$}"))
		}
	}
	return out
}
