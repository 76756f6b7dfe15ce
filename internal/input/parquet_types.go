package input

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// valueText returns how the values of a leaf column of type t read as
// text, as a user means them: strings as they are, integers in decimal
// (unsigned ones too), decimals with their scale, dates as 2006-01-02,
// timestamps in RFC 3339 (UTC, with a Z, when adjusted to UTC), times as
// 15:04:05.999, booleans as true and false. Bytes that are not text are
// base64 (fixed-length ones hex). The logical type decides, then the
// converted type of older writers, then the physical type.
func valueText(t parquet.Type) func(parquet.Value) string {
	if lt := t.LogicalType(); lt != nil {
		switch l := lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return func(v parquet.Value) string { return string(v.ByteArray()) }
		case *format.UUIDType:
			return uuidText
		case *format.DecimalType:
			return decimalText(int(l.Scale))
		case *format.DateType:
			return dateText
		case *format.TimestampType:
			return timestampText(unitOf(&l.Unit), l.IsAdjustedToUTC)
		case *format.TimeType:
			return timeText(unitOf(&l.Unit))
		case *format.IntType:
			if !l.IsSigned {
				return unsignedText
			}
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			return func(v parquet.Value) string { return string(v.ByteArray()) }
		case deprecated.Date:
			return dateText
		case deprecated.TimestampMillis:
			return timestampText(time.Millisecond, true)
		case deprecated.TimestampMicros:
			return timestampText(time.Microsecond, true)
		case deprecated.TimeMillis:
			return timeText(time.Millisecond)
		case deprecated.TimeMicros:
			return timeText(time.Microsecond)
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return unsignedText
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) string { return strconv.FormatBool(v.Boolean()) }
	case parquet.Int32:
		return func(v parquet.Value) string { return strconv.FormatInt(int64(v.Int32()), 10) }
	case parquet.Int64:
		return func(v parquet.Value) string { return strconv.FormatInt(v.Int64(), 10) }
	case parquet.Int96:
		// Int96 is the timestamp of older Hive, Impala and Spark writers.
		return int96Text
	case parquet.Float:
		return func(v parquet.Value) string { return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32) }
	case parquet.Double:
		return func(v parquet.Value) string { return strconv.FormatFloat(v.Double(), 'g', -1, 64) }
	case parquet.FixedLenByteArray:
		return func(v parquet.Value) string { return hex.EncodeToString(v.ByteArray()) }
	}
	// Unannotated BYTE_ARRAY: many writers put strings there.
	return func(v parquet.Value) string {
		b := v.ByteArray()
		if utf8.Valid(b) {
			return string(b)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
}

func unitOf(u *format.TimeUnit) time.Duration {
	if u.Value == nil {
		return time.Millisecond
	}
	return u.Value.Duration()
}

// unsignedText is an unsigned integer of 32 or 64 bits in decimal.
func unsignedText(v parquet.Value) string {
	if v.Kind() == parquet.Int32 {
		return strconv.FormatUint(uint64(v.Uint32()), 10)
	}
	return strconv.FormatUint(v.Uint64(), 10)
}

// integer is an INT32, INT64 or big-endian two's-complement byte array
// value as a big integer (a decimal's unscaled value).
func integer(v parquet.Value) *big.Int {
	switch v.Kind() {
	case parquet.Int32:
		return big.NewInt(int64(v.Int32()))
	case parquet.Int64:
		return big.NewInt(v.Int64())
	}
	b := v.ByteArray()
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// decimalText writes a decimal of the given scale exactly: 1234 with scale
// 2 is 12.34.
func decimalText(scale int) func(parquet.Value) string {
	return func(v parquet.Value) string {
		digits := integer(v).String()
		if scale <= 0 {
			return digits
		}
		neg := digits[0] == '-'
		if neg {
			digits = digits[1:]
		}
		for len(digits) <= scale {
			digits = "0" + digits
		}
		s := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
		if neg {
			s = "-" + s
		}
		return s
	}
}

// dateText is days since the Unix epoch as 2006-01-02.
func dateText(v parquet.Value) string {
	return time.Unix(int64(v.Int32())*86400, 0).UTC().Format(time.DateOnly)
}

// timestampText is a count of unit since the Unix epoch in RFC 3339: in UTC
// with a Z when adjusted to UTC, else as the local time it was, no zone.
func timestampText(unit time.Duration, utc bool) func(parquet.Value) string {
	layout := "2006-01-02T15:04:05.999999999"
	if utc {
		layout = time.RFC3339Nano
	}
	return func(v parquet.Value) string {
		n := v.Int64()
		t := time.Unix(0, 0).Add(time.Duration(n) * unit)
		if unit >= time.Millisecond {
			// Durations overflow past 292 years; dates before 1678 are not rare in bad data.
			per := int64(time.Second / unit)
			t = time.Unix(n/per, n%per*int64(unit))
		}
		return t.UTC().Format(layout)
	}
}

// timeText is a time of day as 15:04:05.999999999.
func timeText(unit time.Duration) func(parquet.Value) string {
	return func(v parquet.Value) string {
		var n int64
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		} else {
			n = v.Int64()
		}
		return time.Unix(0, 0).Add(time.Duration(n) * unit).UTC().Format("15:04:05.999999999")
	}
}

// int96Text is an INT96 timestamp (nanoseconds of the day, then the Julian
// day) in RFC 3339, UTC.
func int96Text(v parquet.Value) string {
	i := v.Int96()
	nanos := int64(i[1])<<32 | int64(i[0])
	days := int64(i[2]) - 2440588 // the Julian day of 1970-01-01
	return time.Unix(days*86400, nanos).UTC().Format(time.RFC3339Nano)
}

// uuidText is a 16-byte UUID as 8-4-4-4-12 hex digits.
func uuidText(v parquet.Value) string {
	b := v.ByteArray()
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// appendJSONText appends s as a JSON string.
func appendJSONText(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// JSONLiteral reports whether the text valueText makes of t's values is,
// as a JSON literal, the same value: booleans, integers (signed and
// unsigned, whose decimal text is exact however large) and floating-point
// numbers (their shortest round-trip text; NaN and infinities are no JSON,
// so a writer checks each value's text). Decimals are not: a JSON reader
// would make a binary float of 12.34. Nor are dates, times and timestamps,
// which read as text.
func JSONLiteral(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		_, isInt := lt.Value.(*format.IntType)
		return isInt
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64,
			deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return true
		}
		return false
	}
	switch t.Kind() {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		return true
	}
	return false
}
