package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode"
)

// bufSize is the read buffer, compressed and decompressed. Records longer
// than it are read in chunks.
const bufSize = 64 << 10

var (
	gzipMagic = []byte{0x1f, 0x8b}
	utf8BOM   = []byte{0xef, 0xbb, 0xbf}
)

// newSource prepares r for reading records: it decompresses a gzip stream
// (whatever the name says), drops a UTF-8 BOM and refuses an empty input.
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
		s.br = bufio.NewReaderSize(&countOut{r: zr, n: &s.ratio.out}, bufSize)
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

// sniff guesses the format of an input starting with b: NDJSON when the
// first non-space byte opens a JSON object or array, else TSV when the first
// line has tabs and no comma, else CSV. sure is false while b may be too
// short to tell.
func sniff(b []byte) (f Format, sure bool) {
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
