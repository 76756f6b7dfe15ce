package input

import (
	"bufio"
	"fmt"
	"io"
	"sync/atomic"
)

// source reads the decompressed input as records of whole physical lines,
// keeping at most max bytes of each, so memory stays bounded whatever the
// input holds. Both the CSV/TSV and the NDJSON readers sit on it.
type source struct {
	name  string
	br    *bufio.Reader
	gzip  bool         // the stream is decompressed: say so in read errors
	ratio *ratio       // gzip: bytes in and out of the decompressor
	max   int          // Config.MaxRecordBytes
	buf   []byte       // the current record, reused by every read
	line  int64        // physical lines consumed
	off   int64        // bytes consumed, after decompression (what Row.End reports)
	seq   int64        // rows returned
	blank atomic.Int64 // blank lines skipped (Reader.BlankLines)
	// unzipped counts gzip's output into ratio.out, unless UTF-16 decoding
	// after it takes that count over
	unzipped *countOut
	eof      bool  // the stream ended; reading again could block a terminal
	err      error // sticky end: io.EOF or an *Error
}

// read returns the next record without its line ending (LF or CRLF), the
// physical line it starts on, and whether its text was longer than s.max (then
// rec holds its first s.max bytes). inQuotes, when not nil, is shown every
// chunk of the record in order and reports whether the newline ending the
// chunk lies inside a quoted field, so the record goes on. rec aliases s.buf
// until the next read. At the end of input read returns io.EOF; any other
// error is the stream's, already an *Error.
func (s *source) read(inQuotes func(chunk []byte) bool) (rec []byte, line int64, tooLong bool, err error) {
	if s.eof {
		return nil, 0, false, io.EOF
	}
	line = s.line + 1
	s.buf = s.buf[:0]
	truncated := false
	for {
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return nil, 0, false, s.fail(err)
		}
		s.off += int64(len(chunk))
		quotedNewline := inQuotes != nil && inQuotes(chunk)
		// Keep two bytes more than max for a CRLF that is not counted.
		// (Written so that a max of math.MaxInt cannot overflow.)
		if room := s.max - len(s.buf); len(chunk)-2 > room {
			chunk, truncated = chunk[:room+2], true
		}
		s.buf = append(s.buf, chunk...)
		if err == io.EOF {
			s.eof = true
			if len(s.buf) == 0 {
				return nil, 0, false, io.EOF
			}
			break
		}
		if err == nil {
			s.line++
			if !quotedNewline {
				break
			}
		}
	}
	if truncated {
		return s.buf[:s.max], line, true, nil
	}
	rec = trimEOL(s.buf)
	if len(rec) > s.max {
		return rec[:s.max], line, true, nil
	}
	return rec, line, false, nil
}

// atEOF reports whether the input has no bytes left. It lets the readers
// tell an empty last line, which is no record, from one in the middle.
func (s *source) atEOF() (bool, error) {
	if s.eof {
		return true, nil
	}
	_, err := s.br.Peek(1)
	switch err {
	case nil:
		return false, nil
	case io.EOF:
		s.eof = true
		return true, nil
	}
	return false, s.fail(err)
}

// fail turns a stream error into the *Error that ends the input, saying how
// far reading got.
func (s *source) fail(err error) error {
	where := ""
	if s.seq > 0 {
		where = fmt.Sprintf(" after row %d", s.seq)
	}
	if s.gzip {
		err = fmt.Errorf("%w in gzip stream%s", err, where)
	} else {
		err = fmt.Errorf("read%s: %w", where, err)
	}
	s.err = &Error{s.name, err}
	return s.err
}

// trimEOL strips one line ending, LF or CRLF, from the end of b.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
