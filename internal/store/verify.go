package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// maxVerifyMemory bounds the piece buffers Verify's workers hold together.
const maxVerifyMemory = 256 << 20

// verifyResult is the outcome of hashing one piece.
type verifyResult struct {
	piece int
	ok    bool
	err   error
}

// Verify hashes every piece of m held in s and returns the pieces whose
// hashes match. Pieces are hashed in parallel by up to GOMAXPROCS workers,
// each reusing one buffer; the result does not depend on their order.
// Pieces that touch a missing or short file are absent from the result;
// any other read error is returned. progress, if not nil, is called on the
// caller's goroutine after each piece with the number of pieces checked so
// far and the total. Cancelling ctx stops the work and returns ctx's error.
func Verify(ctx context.Context, m *piece.Manifest, s Storage, progress func(done, total int)) (piece.Bitfield, error) {
	if err := m.Validate(); err != nil {
		return piece.Bitfield{}, fmt.Errorf("store: verify: %w", err)
	}
	n := len(m.Pieces)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := verifyWorkers(m.PieceSize, n)
	results := make(chan verifyResult, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, m.PieceSize)
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				ok, err := verifyPiece(m, s, i, buf)
				results <- verifyResult{piece: i, ok: ok, err: err}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return collect(ctx, cancel, results, n, progress)
}

// collect gathers results until the workers finish, cancelling them on the
// first error.
func collect(ctx context.Context, cancel func(), results <-chan verifyResult, n int, progress func(done, total int)) (piece.Bitfield, error) {
	have := piece.NewBitfield(n)
	var first error
	done := 0
	for r := range results {
		if r.err != nil {
			if first == nil {
				first = r.err
				cancel()
			}
			continue
		}
		if r.ok {
			have.Set(r.piece)
		}
		done++
		if progress != nil && first == nil {
			progress(done, n)
		}
	}
	if first != nil {
		return piece.Bitfield{}, first
	}
	if done < n {
		return piece.Bitfield{}, fmt.Errorf("store: verify: %w", ctx.Err())
	}
	return have, nil
}

// verifyPiece reads piece i into buf and reports whether it matches. A piece
// touching a missing or short file does not match.
func verifyPiece(m *piece.Manifest, s Storage, i int, buf []byte) (bool, error) {
	p := buf[:m.PieceLen(i)]
	if _, err := s.ReadAt(p, m.PieceOffset(i)); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		return false, err
	}
	return piece.VerifyPiece(m.Pieces[i], p), nil
}

// verifyWorkers returns how many pieces to hash at once: one per CPU, no
// more than there are pieces, within maxVerifyMemory of buffers.
func verifyWorkers(pieceSize int64, pieces int) int {
	return max(1, min(runtime.GOMAXPROCS(0), pieces, int(maxVerifyMemory/pieceSize)))
}
