package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode"

	textunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// bufSize is the read buffer, compressed and decompressed. Records longer
// than it are read in chunks.
const bufSize = 64 << 10

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	zipMagic     = []byte("PK\x03\x04") // an .xlsx is a zip archive
	parquetMagic = []byte("PAR1")
	utf8BOM      = []byte{0xef, 0xbb, 0xbf}
	utf16LEBOM   = []byte{0xff, 0xfe}
	utf16BEBOM   = []byte{0xfe, 0xff}
)

// newSource prepares r for reading records: it decompresses a gzip stream
// (whatever the name says), decodes UTF-16 with a BOM to UTF-8, drops a
// UTF-8 BOM and refuses an empty input.
func newSource(name string, r io.Reader, max int) (*source, error) {
	s := &source{name: name, br: bufio.NewReaderSize(r, bufSize), max: max}
	magic, err := s.br.Peek(len(gzipMagic))
	if err != nil && err != io.EOF {
		return nil, s.fail(err)
	}
	if bytes.Equal(magic, gzipMagic) {
		s.gzip = true
		// gzip.Reader reads concatenated members, as gzip -d does. The
		// counters give the compression ratio at the same point of the
		// stream on both sides (flate reads a ByteReader without buffering
		// ahead), for Reader.Stored.
		s.ratio = new(ratio)
		zr, err := gzip.NewReader(&countIn{br: s.br, n: &s.ratio.in})
		if err != nil {
			return nil, s.fail(err)
		}
		out := &countOut{r: zr, n: &s.ratio.out}
		s.br = bufio.NewReaderSize(out, bufSize)
		s.unzipped = out
	}
	if err := s.decodeUTF16(); err != nil {
		return nil, err
	}
	bom, err := s.br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF {
		return nil, s.fail(err)
	}
	if bytes.Equal(bom, utf8BOM) {
		s.br.Discard(len(utf8BOM)) // cannot fail: the bytes are buffered
	}
	if empty, err := s.atEOF(); err != nil {
		return nil, err
	} else if empty {
		return nil, &Error{name, ErrEmpty}
	}
	return s, nil
}

// decodeUTF16 puts a UTF-16 decoder (LE or BE, by its BOM, which it drops)
// in front of the records, so that every reader sees UTF-8. Excel's "Unicode
// text" export is UTF-16LE. Malformed units become U+FFFD. The ratio of bytes
// stored to bytes decoded keeps Reader.Stored right for progress.
func (s *source) decodeUTF16() error {
	bom, err := s.br.Peek(2)
	if err != nil && err != io.EOF {
		return s.fail(err)
	}
	var order textunicode.Endianness
	switch {
	case bytes.Equal(bom, utf16LEBOM):
		order = textunicode.LittleEndian
	case bytes.Equal(bom, utf16BEBOM):
		order = textunicode.BigEndian
	default:
		return nil
	}
	var in io.Reader = s.br
	if s.ratio == nil {
		s.ratio = new(ratio)
		in = &countOut{r: s.br, n: &s.ratio.in}
	} else {
		// gzip: keep its input count; the output counted is the UTF-8 below.
		s.unzipped.n = new(atomic.Int64)
	}
	dec := textunicode.UTF16(order, textunicode.ExpectBOM).NewDecoder()
	s.br = bufio.NewReaderSize(&countOut{r: transform.NewReader(in, dec), n: &s.ratio.out}, bufSize)
	return nil
}

// formatFromName is the format named by the extension of name, after any
// ".gz", or Unknown.
func formatFromName(name string) Format {
	switch filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")) {
	case ".csv":
		return CSV
	case ".tsv":
		return TSV
	case ".ndjson", ".jsonl":
		return NDJSON
	case ".xlsx":
		return XLSX
	case ".parquet":
		return Parquet
	}
	return Unknown
}

// sniff guesses the format from the start of the input. It reads only until
// the guess is sure (the first line is complete, or the buffer full) so a
// slow pipe is not waited on longer than needed.
func (s *source) sniff() (Format, error) {
	for n := 1; ; {
		_, err := s.br.Peek(n)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return Unknown, s.fail(err)
		}
		b, _ := s.br.Peek(s.br.Buffered())
		if f, sure := sniff(b); sure || err != nil {
			return f, nil
		}
		n = len(b) + 1
	}
}

// sniff guesses the format of an input starting with b: XLSX when it starts
// with a zip archive's magic, Parquet with PAR1, NDJSON when the first non-space byte opens a
// JSON object or array, else TSV when the first line has tabs and no comma,
// else CSV. sure is false while b may be too short to tell.
func sniff(b []byte) (f Format, sure bool) {
	if len(b) < len(zipMagic) && (bytes.HasPrefix(zipMagic, b) || bytes.HasPrefix(parquetMagic, b)) {
		return CSV, false
	}
	if bytes.HasPrefix(b, zipMagic) {
		return XLSX, true
	}
	if bytes.HasPrefix(b, parquetMagic) {
		return Parquet, true
	}
	t := bytes.TrimLeftFunc(b, unicode.IsSpace)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return NDJSON, true
	}
	// Skip blank lines but not a leading tab: an empty first column.
	line, _, complete := bytes.Cut(bytes.TrimLeft(b, "\r\n"), []byte("\n"))
	if bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
		return TSV, complete
	}
	return CSV, complete
}

// delimiters are the separators sniffDelimiter chooses from.
var delimiters = []rune{',', ';', '\t', '|'}

// sniffDelimiter picks the CSV/TSV delimiter from the first non-blank line
// (the header, or the first record with NoHeader), without consuming it: of
// delimiters, the one that finds the id column, splitting the line into the
// most fields; on a tie the format's own (',' or tab) comes first, then the
// order of delimiters. When none finds the id column it is the format's own,
// and the header's error says what else to try. A header with a quoted line
// break is judged by its first line only.
func (s *source) sniffDelimiter(format Format, cfg Config) (rune, error) {
	own := ','
	if format == TSV {
		own = '\t'
	}
	line, err := s.firstLine()
	if err != nil {
		return 0, err
	}
	best, bestFields := own, 0
	for _, d := range append([]rune{own}, delimiters...) {
		c := &csvReader{comma: byte(d)}
		fields, problem := c.split(line, 1)
		if problem != "" {
			continue
		}
		if cfg.NoHeader {
			// No names to find: a separator splitting the line where the
			// format's own does not, into enough fields for the id column.
			if d == own && len(fields) > 1 {
				return own, nil
			}
			if len(fields) >= max(cfg.IDIndex, 2) && len(fields) > bestFields {
				best, bestFields = d, len(fields)
			}
			continue
		}
		if _, err := idColumn(fields, cfg); err == nil && len(fields) > bestFields {
			best, bestFields = d, len(fields)
		}
	}
	return best, nil
}

// firstLine returns the first line that is not blank, without its line
// ending, from what can be buffered, without consuming anything.
func (s *source) firstLine() ([]byte, error) {
	for n := 1; ; {
		_, err := s.br.Peek(n)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, s.fail(err)
		}
		b, _ := s.br.Peek(s.br.Buffered())
		rest := bytes.TrimLeft(b, "\r\n")
		if line, _, complete := bytes.Cut(rest, []byte("\n")); complete || err != nil {
			return bytes.TrimRight(line, "\r"), nil
		}
		n = len(b) + 1
	}
}

// headerHint suggests a --delimiter when a header read as one field holds
// one of the other delimiters: "" when it does not.
func headerHint(header []string, comma byte) string {
	if len(header) != 1 {
		return ""
	}
	for _, d := range delimiters {
		if byte(d) != comma && strings.ContainsRune(header[0], d) {
			name := fmt.Sprintf("'%c'", d)
			if d == '\t' {
				name = "tab"
			}
			return fmt.Sprintf("; the header looks separated by %s: try --delimiter %s", name, name)
		}
	}
	return ""
}

// ratio counts a gzip stream's bytes consumed (in) and produced (out).
type ratio struct{ in, out atomic.Int64 }

// countIn counts the compressed bytes the decompressor consumes.
type countIn struct {
	br *bufio.Reader
	n  *atomic.Int64
}

func (c *countIn) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countIn) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.n.Add(1)
	}
	return b, err
}

// countOut counts the decompressed bytes produced.
type countOut struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countOut) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
