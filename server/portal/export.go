package portal

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"hcscan/healthcode"
	"hcscan/server"
)

// maxXLSXRows is what one XLSX sheet holds (1,048,576 rows) less the header.
const maxXLSXRows = 1<<20 - 1

// RowWriter writes a table, one row at a time, to a download: CSV or XLSX.
// Other exports (a roster, say) use the same writers.
type RowWriter interface {
	Row(cells []any) error
	// Close finishes the file (XLSX writes its parts here).
	Close() error
}

// NewCSV writes rows as CSV (UTF-8 with a byte-order mark, so that
// spreadsheet programs read Chinese right), buffered, never held whole.
func NewCSV(w io.Writer) RowWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString("\ufeff")
	return &csvRows{bw: bw, cw: csv.NewWriter(bw)}
}

type csvRows struct {
	bw   *bufio.Writer
	cw   *csv.Writer
	cell []string
}

func (c *csvRows) Row(cells []any) error {
	c.cell = c.cell[:0]
	for _, v := range cells {
		c.cell = append(c.cell, cellText(v))
	}
	return c.cw.Write(c.cell)
}

func (c *csvRows) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// cellText is a cell as text; a cell that a spreadsheet would take for a
// formula (=, +, -, @ first) is quoted with ' so that a name typed on a
// scanner never runs as one.
func cellText(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case nil:
		return ""
	default:
		s = fmt.Sprint(x)
	}
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// NewXLSX writes rows to one sheet with excelize's stream writer, which
// keeps rows in a temporary file rather than in memory; Close writes the
// workbook to w. The zip goes straight to w (excelize would otherwise
// build the whole file in a buffer first: a million rows are 90 MB).
func NewXLSX(w io.Writer, sheet string) (RowWriter, error) {
	f := excelize.NewFile()
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxRows{f: f, sw: sw}, nil
}

type xlsxRows struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	n    int
	cell []any
}

func (x *xlsxRows) Row(cells []any) error {
	x.n++
	x.cell = x.cell[:0]
	for _, v := range cells {
		if s, ok := v.(string); ok {
			v = cellText(s)
		}
		x.cell = append(x.cell, v)
	}
	ref, err := excelize.CoordinatesToCellName(1, x.n)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, x.cell)
}

func (x *xlsxRows) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	// The workbook goes to w through the zip writer set in NewXLSX;
	// excelize's own buffer stays empty.
	return x.f.Write(io.Discard)
}

// exportColumns are the columns of a records export: masked fields only.
var exportColumns = []string{"col.time", "col.gate", "col.operator", "col.name", "col.id", "col.region", "col.scanned",
	"col.colour", "col.verdict", "col.temp", "col.fever", "col.disposition", "col.provisional", "col.manual", "col.device", "col.record"}

func exportRow(f *Frame, r *server.StoredRecord, cells []any) []any {
	rec := &r.Record
	var temp any
	if rec.Temperature != 0 {
		temp = rec.Temperature.Celsius()
	}
	disp := ""
	if rec.Disposition != 0 {
		disp = rec.Disposition.Label(f.Lang)
	}
	return append(cells[:0], server.When(rec).In(f.Zone).Format("2006-01-02 15:04:05"), rec.Gate, rec.Operator, rec.Name, rec.IDMasked,
		region(rec.Region), f.Colour(rec.ScannedColour), f.Colour(rec.EffectiveColour), f.Verdict(rec.Verdict), temp,
		rec.Fever, disp, rec.Provisional, rec.Manual, rec.DeviceID, rec.ID)
}

func region(r healthcode.Region) string {
	if r == 0 {
		return ""
	}
	return r.String()
}

func (p *Portal) exportCSV(w http.ResponseWriter, r *http.Request, login *Login) {
	p.export(w, r, login, "csv")
}

func (p *Portal) exportXLSX(w http.ResponseWriter, r *http.Request, login *Login) {
	p.export(w, r, login, "xlsx")
}

// export streams what the records filter selects, newest first, as CSV or
// XLSX: rows go out as the store reads them.
func (p *Portal) export(w http.ResponseWriter, r *http.Request, login *Login, format string) {
	f := p.frame(r, login, "records.title", "records")
	_, q, msg := parseRecordForm(r, &f, login.Institution)
	if msg != "" {
		p.fail(w, r, login, http.StatusBadRequest, msg)
		return
	}
	if format == "xlsx" {
		n, err := p.store.CountRecords(r.Context(), q)
		if err != nil {
			p.failInternal(w, r, login, "count records", err)
			return
		}
		if n > maxXLSXRows {
			p.fail(w, r, login, http.StatusRequestEntityTooLarge, f.Tf("export.toomany", n, maxXLSXRows))
			return
		}
	}
	// A million rows take longer than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
	name := fmt.Sprintf("records-%s.%s", f.Now.In(f.Zone).Format("20060102-1504"), format)
	securePage(w)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	var rows RowWriter
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		rows = NewCSV(w)
	} else {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		var err error
		if rows, err = NewXLSX(w, "records"); err != nil {
			p.failInternal(w, r, login, "export", err)
			return
		}
	}
	head := make([]any, len(exportColumns))
	for i, c := range exportColumns {
		head[i] = f.T(c)
	}
	err := rows.Row(head)
	cells := make([]any, 0, len(exportColumns))
	n := 0
	if err == nil {
		err = p.store.EachRecord(r.Context(), q, func(rec *server.StoredRecord) error {
			n++
			return rows.Row(exportRow(&f, rec, cells))
		})
	}
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		if x, ok := rows.(*xlsxRows); ok {
			x.f.Close() // its temporary files
		}
		// The status is sent: cut the connection so that the browser shows
		// a failed download, not a file that looks whole.
		p.log.Error("portal export", "institution", login.Institution, "format", format, "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	p.log.Info("portal export", "institution", login.Institution, "actor", login.Actor, "format", format, "rows", n)
}
