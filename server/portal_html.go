package server

// portalHTML holds the portal's templates: plain HTML forms, no script.
const portalHTML = `
{{define "head"}}<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{{.}} · 健康码查验 portal</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;font-size:.9em}
.red{color:#b00;font-weight:bold}.yellow{color:#a70;font-weight:bold}.green{color:#070}
.token{font-family:monospace;font-size:1.4em;background:#eef;padding:.3em}
.err{color:#b00}
</style></head><body>{{end}}

{{define "login"}}{{template "head" "login"}}
<h1>Institution portal · 机构管理</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="/portal/login">
<label>Portal token <input name="token" autocomplete="off" size="32"></label>
<button type="submit">Log in</button>
</form>
<p>Ask the provincial office for a portal token (<code>hcserver token --portal</code>).</p>
</body></html>{{end}}

{{define "records"}}
<table><tr><th>time</th><th>gate</th><th>operator</th><th>name</th><th>ID</th><th>colour</th><th>verdict</th><th>temp °C</th><th>disposition</th><th></th><th></th></tr>
{{range .}}<tr>
<td>{{when .Record}}</td><td>{{.Gate}}</td><td>{{.Operator}}</td><td>{{.Name}}</td><td>{{.IDMasked}}</td>
<td class="{{.EffectiveColour}}">{{.EffectiveColour}}</td><td>{{.Verdict}}</td><td>{{.Temperature}}</td><td>{{.Disposition.Label "en"}}</td>
<td>{{if .Provisional}}provisional{{end}}{{if .Manual}} manual{{end}}{{if .Sealed}} <span class="sealed">sealed identity</span>{{end}}</td>
<td><a href="/portal/contacts?device={{.DeviceID}}&amp;record={{.ID}}&amp;window=30">close contacts</a></td>
</tr>{{else}}<tr><td colspan="11">no records</td></tr>{{end}}
</table>{{end}}

{{define "home"}}{{template "head" .Institution}}
<form method="post" action="/portal/logout" style="float:right"><input type="hidden" name="csrf" value="{{.CSRF}}"><button>Log out</button></form>
<h1>{{.Institution}}</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
{{if .NewToken}}<p>Enrolment token for gate <b>{{.NewTokenFor}}</b> (single use, shown once):</p><p class="token" id="new-token">{{.NewToken}}</p>{{end}}

<h2>Alerts · 预警</h2>
<p>Checks that passed provisionally (offline, old status list) whose code was or became red or yellow.</p>
<table><tr><th>time</th><th>gate</th><th>name</th><th>colour now</th><th>raised</th><th></th></tr>
{{range .Alerts}}<tr><td>{{ts .Time}}</td><td>{{.Gate}}</td><td>{{.Name}}</td><td class="{{.Colour}}">{{.Colour}}</td><td>{{ts .Raised}}</td>
<td><a href="/portal/contacts?device={{.DeviceID}}&amp;record={{.RecordID}}&amp;window=30">close contacts</a></td></tr>
{{else}}<tr><td colspan="6">no alerts</td></tr>{{end}}</table>

<h2>Records · 查验记录</h2>
<form method="get" action="/portal/"><label>Gate <input name="gate" value="{{.Gate}}"></label> <button>Filter</button></form>
{{template "records" .Records}}
{{if .Older}}<p><a href="/portal/?gate={{.Gate}}&amp;before={{.Older}}">older records →</a></p>{{end}}

<h2>Close-contact query · 密接查询</h2>
<p>Use "close contacts" on a record, or give a device and record id:</p>
<form method="get" action="/portal/contacts">
<label>Device <input name="device" size="38"></label> <label>Record <input name="record" size="38"></label>
<label>± minutes <input name="window" value="30" size="4"></label> <button>Query</button></form>

<h2>Sealed identities opened · 身份查阅记录</h2>
<p>Manual entries keep the typed name, ID number and phone sealed to the province; only tracing staff open them, one at a time, with a reason.</p>
<table><tr><th>opened</th><th>by</th><th>record</th><th>reason</th></tr>
{{range .Audit}}<tr><td>{{ts .Time}}</td><td>{{.Actor}}</td><td><code>{{short .DeviceID}}/{{short .RecordID}}</code></td><td>{{.Reason}}</td></tr>
{{else}}<tr><td colspan="4">none</td></tr>{{end}}</table>

<h2>Operators · 查验人员</h2>
<table><tr><th>operator</th><th>checks</th><th>last seen</th><th>gates</th></tr>
{{range .Operators}}<tr><td>{{.Name}}</td><td>{{.Checks}}</td><td>{{ts .LastSeen}}</td><td>{{.Gates}}</td></tr>
{{else}}<tr><td colspan="4">none yet</td></tr>{{end}}</table>

<h2>Devices · 设备</h2>
<table><tr><th>device</th><th>name</th><th>gate</th><th>enrolled</th><th>state</th><th></th></tr>
{{range .Devices}}<tr><td><code>{{.ID}}</code></td><td>{{.Name}}</td><td>{{.Gate}}</td><td>{{ts .Enrolled}}</td><td>{{if .Disabled}}disabled{{else}}active{{end}}</td>
<td><form method="post" action="/portal/devices"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="device" value="{{.ID}}">
{{if .Disabled}}<button name="action" value="enable">Enable</button>{{else}}<button name="action" value="disable">Disable (lost or stolen)</button>{{end}}</form></td></tr>
{{else}}<tr><td colspan="6">no devices</td></tr>{{end}}</table>

<h2>Enrolment tokens · 注册令牌</h2>
<table><tr><th>token</th><th>kind</th><th>gate</th><th>made</th><th>expires</th><th>used</th></tr>
{{range .Tokens}}<tr><td><code>{{.Hint}}-…</code></td><td>{{.Kind}}</td><td>{{.Gate}}</td><td>{{ts .Created}}</td><td>{{ts .Expires}}</td><td>{{if .UsedBy}}{{ts .UsedAt}} by <code>{{short .UsedBy}}</code>{{else}}-{{end}}</td></tr>
{{end}}</table>
<form method="post" action="/portal/tokens"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label>New enrolment token for gate <input name="gate" required></label> <button>Make token</button></form>
</body></html>{{end}}

{{define "contacts"}}{{template "head" .Institution}}
<p><a href="/portal/">← {{.Institution}}</a></p>
<h1>Close contacts · 密接</h1>
<p>Check at gate <b>{{.Check.Gate}}</b> at {{when .Check.Record}} ({{.Check.Name}}, {{.Check.EffectiveColour}}); everyone who passed the same gate within ± {{.Window}} minutes:</p>
<p id="count">{{len .Contacts}} people</p>
{{template "records" .Contacts}}
{{if .Sealed}}<h2>Sealed identities · 密封身份</h2>
{{if .Tracer}}<p>Opening an identity is written to the institution's audit list with your login and reason.</p>
{{range .Sealed}}<form method="post" action="/portal/identity" class="open-identity"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="device" value="{{.DeviceID}}"><input type="hidden" name="record" value="{{.ID}}">
{{when .Record}} {{.Gate}} {{.Name}} {{.IDMasked}} <label>reason <input name="reason" required maxlength="200"></label> <button>Open sealed identity</button></form>
{{end}}{{else}}<p>{{len .Sealed}} of these checks are manual entries with a sealed identity; provincial tracing staff can open them.</p>{{end}}{{end}}
</body></html>{{end}}

{{define "identity"}}{{template "head" .Institution}}
<p><a href="/portal/">← {{.Institution}}</a></p>
<h1>Sealed identity · 身份</h1>
<p>Manual entry at gate <b>{{.Record.Gate}}</b> at {{when .Record.Record}} by {{.Record.Operator}} ({{.Record.Name}}, {{.Record.IDMasked}}).</p>
<table>
<tr><th>name</th><td id="name">{{.Name}}</td></tr>
<tr><th>ID number</th><td id="idnum">{{.ID}}</td></tr>
<tr><th>phone</th><td id="phone">{{.Phone}}</td></tr>
</table>
<p>Opened for: {{.Reason}}. This opening is in the audit list.</p>
</body></html>{{end}}
`
