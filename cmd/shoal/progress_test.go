package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/node"
)

func TestShowPausePrintsTransitions(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf}
	bar := newBar(e, 100, "downloading")
	const why = "paused, disk full (need 1.0 MiB in /out, 0 B free); resumes when space is freed"
	was := ""
	for _, st := range []node.Stats{
		{Have: 10},
		{Have: 20, Paused: why},
		{Have: 20, Paused: strings.Replace(why, "0 B free", "1 B free", 1)},
		{Have: 30},
		{Have: 100, Complete: true},
	} {
		showProgress(bar, st)
		was = showPause(e, bar, was, st)
	}
	out := buf.String()
	paused, resumed := strings.Index(out, why+"\n"), strings.Index(out, "download resumed\n")
	if strings.Count(out, why+"\n") != 1 || strings.Count(out, "download resumed\n") != 1 || paused > resumed {
		t.Errorf("printed %q, want one pause line, then one resume line", out)
	}
}
