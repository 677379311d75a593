package piece

import (
	"bytes"
	"errors"
	"math/bits"
	"reflect"
	"testing"
)

// Fuzz targets for every decoder in the package. Each is seeded from the
// table tests and from the corpus in testdata/fuzz/<FuzzName>/.

func FuzzParseManifest(f *testing.F) {
	f.Add(goldenEncoding())
	for _, tt := range validManifests() {
		if b := tt.m.Encode(); len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	for _, tt := range invalidManifests() {
		if len(tt.m.Files) <= 16 {
			f.Add(tt.m.Encode())
		}
	}
	for _, tt := range parseManifestTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			if m != nil || !errors.Is(err, ErrBadManifest) {
				t.Fatalf("ParseManifest = %v, %v, want nil, ErrBadManifest", m, err)
			}
			return
		}
		if got := m.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Encode() = %x, want the accepted input %x", got, b)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Validate() of an accepted manifest = %v, want nil", err)
		}
		if got, want := m.ID(), ID(HashBytes(b)); got != want {
			t.Fatalf("ID() = %s, want %s", got, want)
		}
	})
}

func FuzzParseLink(f *testing.F) {
	for _, tt := range validLinkTests {
		f.Add(tt.in)
	}
	for _, tt := range invalidLinkTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			if !errors.Is(err, ErrBadLink) {
				t.Fatalf("ParseLink error %v, want ErrBadLink", err)
			}
			return
		}
		canon := l.String()
		again, err := ParseLink(canon)
		if err != nil {
			t.Fatalf("ParseLink(%q) of the canonical form: %v, want nil", canon, err)
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("ParseLink(String()) = %+v, want %+v", again, l)
		}
		if got := again.String(); got != canon {
			t.Fatalf("String() after a round trip = %q, want %q", got, canon)
		}
	})
}

func FuzzParseBitfield(f *testing.F) {
	for _, tt := range parseBitfieldTests {
		f.Add(tt.raw, tt.n)
	}
	f.Fuzz(func(t *testing.T, raw []byte, n int) {
		b, err := ParseBitfield(raw, n)
		if err != nil {
			if !errors.Is(err, ErrBadBitfield) {
				t.Fatalf("ParseBitfield error %v, want ErrBadBitfield", err)
			}
			return
		}
		if got := b.Bytes(); !bytes.Equal(got, raw) {
			t.Fatalf("Bytes() = %x, want the input %x", got, raw)
		}
		count := 0
		for _, x := range raw {
			count += bits.OnesCount8(x)
		}
		if b.Len() != n || b.Count() != count || b.Full() != (count == n) {
			t.Fatalf("Len %d Count %d Full %v, want %d, %d, %v", b.Len(), b.Count(), b.Full(), n, count, count == n)
		}
		has := 0
		for i := range n {
			if b.Has(i) {
				has++
			}
		}
		if has != count {
			t.Fatalf("Has reports %d bits, want %d", has, count)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, tt := range parseIDTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if !errors.Is(err, ErrBadID) {
				t.Fatalf("ParseID error %v, want ErrBadID", err)
			}
			return
		}
		if got, want := id.String(), asciiLower(s); got != want {
			t.Fatalf("String() = %q, want the lower-cased input %q", got, want)
		}
		if again, err := ParseID(id.String()); err != nil || again != id {
			t.Fatalf("ParseID(String()) = %s, %v, want %s, nil", again, err, id)
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
