package piece

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// sampleID returns an ID whose bytes are i, i+1, …, i+31.
func sampleID(i byte) ID {
	var id ID
	for j := range id {
		id[j] = i + byte(j)
	}
	return id
}

func TestIDString(t *testing.T) {
	var ones ID
	for i := range ones {
		ones[i] = 0xff
	}
	tests := []struct {
		id   ID
		want string
	}{
		{ID{}, strings.Repeat("a", 52)},
		{ones, strings.Repeat("7", 51) + "q"},
		{ID{0x08}, "ba" + strings.Repeat("a", 50)},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%x.String() = %q, want %q", tt.id[:], got, tt.want)
		}
	}
}

func TestIDIsZero(t *testing.T) {
	if !(ID{}).IsZero() {
		t.Errorf("ID{}.IsZero() = false, want true")
	}
	if (ID{31: 1}).IsZero() {
		t.Errorf("ID{31: 1}.IsZero() = true, want false")
	}
}

func TestHashBytes(t *testing.T) {
	got := HashBytes([]byte("abc"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if hex.EncodeToString(got[:]) != want {
		t.Errorf("HashBytes(abc) = %x, want %s", got, want)
	}
	if HashBytes(nil) != Hash(sha256.Sum256(nil)) {
		t.Errorf("HashBytes(nil) differs from sha256.Sum256(nil)")
	}
}

func withFirstByte(id ID, b byte) ID {
	id[0] = b
	return id
}

var parseIDTests = []struct {
	name string
	in   string
	want ID
	ok   bool
}{
	{"zero", strings.Repeat("a", 52), ID{}, true},
	{"canonical", sampleID(1).String(), sampleID(1), true},
	{"upper case", strings.ToUpper(sampleID(7).String()), sampleID(7), true},
	{"mixed case", "B" + sampleID(0).String()[1:], withFirstByte(sampleID(0), 0x08), true},
	{"empty", "", ID{}, false},
	{"too short", strings.Repeat("a", 51), ID{}, false},
	{"too long", strings.Repeat("a", 53), ID{}, false},
	{"56 characters", strings.Repeat("a", 56), ID{}, false},
	{"padded", strings.Repeat("a", 52) + "====", ID{}, false},
	{"digit 1 is not base32", "1" + strings.Repeat("a", 51), ID{}, false},
	{"digit 0 is not base32", strings.Repeat("a", 51) + "0", ID{}, false},
	{"non-zero spare bits", strings.Repeat("a", 51) + "b", ID{}, false},
	{"line break inside", strings.Repeat("a", 25) + "\n" + strings.Repeat("a", 26), ID{}, false},
	{"carriage return inside", strings.Repeat("a", 50) + "\r\n", ID{}, false},
	{"kelvin sign folds to k", "\u212a" + strings.Repeat("a", 49), ID{}, false},
	{"surrounding space", " " + strings.Repeat("a", 52), ID{}, false},
	{"non-ASCII", strings.Repeat("a", 50) + "é", ID{}, false},
}

func TestParseID(t *testing.T) {
	for _, tt := range parseIDTests {
		got, err := ParseID(tt.in)
		if !tt.ok {
			if !errors.Is(err, ErrBadID) {
				t.Errorf("%s: ParseID(%q) error %v, want ErrBadID", tt.name, tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseID(%q) error %v, want nil", tt.name, tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: ParseID(%q) = %x, want %x", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestIDRoundTrip(t *testing.T) {
	for i := range 64 {
		id := ID(HashBytes([]byte{byte(i)}))
		got, err := ParseID(id.String())
		if err != nil || got != id {
			t.Errorf("ParseID(%q) = %x, %v, want %x, nil", id.String(), got, err, id)
		}
	}
}
