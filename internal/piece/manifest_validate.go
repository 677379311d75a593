package piece

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Manifest limits enforced by Validate and ParseManifest.
const (
	MaxFiles   = 1 << 20 // most files one manifest may list
	MaxPathLen = 4096    // longest file path, in bytes
	maxNameLen = 255     // longest manifest name, in bytes (one path element)
)

// ErrBadManifest is returned for a manifest encoding that cannot be decoded
// or a manifest that breaks the rules of Manifest.Validate.
var ErrBadManifest = errors.New("piece: bad manifest")

// Validate reports whether m is well formed; ParseManifest calls it, and
// code that builds a manifest should call it before publishing one. The rules:
// Name is one path element of at most 255 bytes; there are 1..MaxFiles files;
// a single file (Dir false) has Path == Name; each path is relative, clean,
// uses forward slashes, is valid UTF-8 of at most MaxPathLen bytes with no
// "", "." or ".." element, backslash or NUL; no path repeats or is a
// directory prefix of another; sizes are non-negative and add up to a
// positive Length; PieceSize is a power of two in [MinPieceSize,
// MaxPieceSize]; there are ⌈Length/PieceSize⌉ pieces; Tags is empty or
// holds one tag per piece; and the encoding fits in MaxManifestSize. Errors
// wrap ErrBadManifest.
func (m *Manifest) Validate() error {
	if err := checkElement(m.Name); err != nil {
		return fmt.Errorf("%w: name %s: %v", ErrBadManifest, quoteShort(m.Name), err)
	}
	if len(m.Name) > maxNameLen {
		return fmt.Errorf("%w: name of %d bytes, limit %d", ErrBadManifest, len(m.Name), maxNameLen)
	}
	ps := m.PieceSize
	if ps < MinPieceSize || ps > MaxPieceSize || ps&(ps-1) != 0 {
		return fmt.Errorf("%w: piece size %d is not a power of two in [%d, %d]",
			ErrBadManifest, ps, MinPieceSize, MaxPieceSize)
	}
	length, err := m.validateFiles()
	if err != nil {
		return err
	}
	if want := ceilDiv(length, ps); int64(len(m.Pieces)) != want {
		return fmt.Errorf("%w: %d piece hashes for %d bytes in %d-byte pieces, want %d",
			ErrBadManifest, len(m.Pieces), length, ps, want)
	}
	if len(m.Tags) > 0 && len(m.Tags) != len(m.Pieces) {
		return fmt.Errorf("%w: %d piece tags for %d pieces", ErrBadManifest, len(m.Tags), len(m.Pieces))
	}
	if n := m.encodedLen(); n > MaxManifestSize {
		return fmt.Errorf("%w: encoding of %d bytes, limit %d", ErrBadManifest, n, MaxManifestSize)
	}
	return nil
}

// validateFiles checks the file list and returns the total length.
func (m *Manifest) validateFiles() (int64, error) {
	if len(m.Files) == 0 || len(m.Files) > MaxFiles {
		return 0, fmt.Errorf("%w: %d files, want 1 to %d", ErrBadManifest, len(m.Files), MaxFiles)
	}
	if !m.Dir && (len(m.Files) != 1 || m.Files[0].Path != m.Name) {
		return 0, fmt.Errorf("%w: a single-file manifest needs exactly one file named %s",
			ErrBadManifest, quoteShort(m.Name))
	}
	var length int64
	for i, f := range m.Files {
		if err := checkPath(f.Path); err != nil {
			return 0, fmt.Errorf("%w: file %d path %s: %v", ErrBadManifest, i, quoteShort(f.Path), err)
		}
		if f.Size < 0 {
			return 0, fmt.Errorf("%w: file %d size %d is negative", ErrBadManifest, i, f.Size)
		}
		if f.Size > math.MaxInt64-length {
			return 0, fmt.Errorf("%w: total length overflows at file %d", ErrBadManifest, i)
		}
		length += f.Size
	}
	if length == 0 {
		return 0, fmt.Errorf("%w: content is empty", ErrBadManifest)
	}
	if err := checkPathSet(m.Files); err != nil {
		return 0, err
	}
	return length, nil
}

// checkElement checks one path element: non-empty, not "." or "..", valid
// UTF-8, no slash, backslash or NUL.
func checkElement(e string) error {
	switch e {
	case "":
		return errors.New("empty element")
	case ".", "..":
		return fmt.Errorf("%q element", e)
	}
	if strings.ContainsAny(e, "/\\\x00") {
		return errors.New("contains slash, backslash or NUL")
	}
	if !utf8.ValidString(e) {
		return errors.New("not valid UTF-8")
	}
	return nil
}

// checkPath checks a relative, clean, slash-separated file path.
func checkPath(p string) error {
	if len(p) > MaxPathLen {
		return fmt.Errorf("%d bytes, limit %d", len(p), MaxPathLen)
	}
	for e := range strings.SplitSeq(p, "/") {
		if err := checkElement(e); err != nil {
			return err
		}
	}
	return nil
}

// checkPathSet rejects repeated paths and paths that are a directory prefix
// of another ("a" and "a/b"). Sorted element by element, a path that is a
// prefix of others is immediately followed by one of them.
func checkPathSet(files []File) error {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	slices.SortFunc(paths, comparePaths)
	for i := 1; i < len(paths); i++ {
		prev, cur := paths[i-1], paths[i]
		if prev == cur {
			return fmt.Errorf("%w: path %s repeated", ErrBadManifest, quoteShort(cur))
		}
		if len(cur) > len(prev) && cur[len(prev)] == '/' && strings.HasPrefix(cur, prev) {
			return fmt.Errorf("%w: file %s is also a folder of %s",
				ErrBadManifest, quoteShort(prev), quoteShort(cur))
		}
	}
	return nil
}

// comparePaths orders paths element by element: as bytewise order, except
// that '/' sorts before every other byte.
func comparePaths(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		switch {
		case x == '/':
			return -1
		case y == '/':
			return 1
		case x < y:
			return -1
		default:
			return 1
		}
	}
	return len(a) - len(b)
}

// quoteShort quotes s for an error message, eliding the middle of long
// strings.
func quoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q…%q", s[:limit/2], s[len(s)-limit/2:])
}
