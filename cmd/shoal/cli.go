package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// errUsage marks errors caused by wrong arguments; they exit with code 2.
var errUsage = errors.New("usage")

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand writes to: scripts read stdout, people stderr.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

func commands() []command {
	return []command{
		{"demo", "[flags]", "a live stream with several viewers on this machine (--files: a file swarm)", runDemo},
		{"share", "PATH [flags]", "share a file or folder; prints its link and seeds until interrupted", runShare},
		{"get", "LINK [flags]", "download what a link names, verified, from peers and web seeds", runGet},
		{"broadcast", "SOURCE [flags]", "broadcast a live HLS stream; prints its channel link and runs until interrupted", runBroadcast},
		{"watch", "LINK [flags]", "watch a live channel; prints a local playlist URL for players", runWatch},
		{"token", "--member NAME", "issue a member token for private content (see --private)", runToken},
		{"tracker", "[flags]", "run a standalone tracker", runTracker},
		{"sim", "[--scenario FILE] [flags]", "simulate a swarm of real engines over virtual time", runSim},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: shoal COMMAND [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-14s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Private content (docs/private.md): share or broadcast with --private, issue`)
	fmt.Fprintln(w, `member tokens with "shoal token", get or watch with --token-file. Content is`)
	fmt.Fprintln(w, `encrypted; "shoal share --private --export DIR" also writes the encrypted`)
	fmt.Fprintln(w, `files to DIR for a web seed (--origin) to serve.`)
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "shoal COMMAND -h" for a command's flags.`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		e := &env{stdout: stdout, stderr: stderr}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "shoal %s: %v\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
			return exitUsage
		default:
			fmt.Fprintf(stderr, "shoal %s: %v\n", c.name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "shoal: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// newFlags returns a flag set that reports errors instead of exiting, with
// the common -v flag.
func newFlags(e *env, name, args string) (*flag.FlagSet, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: shoal %s %s\n", name, args)
		fs.PrintDefaults()
	}
	verbose := fs.Bool("v", false, "verbose logs on stderr")
	return fs, verbose
}

// parse parses flags, allowing them before and after positional arguments,
// and sets up logging. It returns the positional arguments.
func parse(e *env, fs *flag.FlagSet, verbose *bool, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return pos, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// linkArg returns the one positional argument as a strictly parsed link.
func linkArg(pos []string) (piece.Link, error) {
	if len(pos) != 1 {
		return piece.Link{}, fmt.Errorf("%w: want exactly one LINK, got %d", errUsage, len(pos))
	}
	link, err := piece.ParseLink(pos[0])
	if err != nil {
		return piece.Link{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	return link, nil
}

// every calls f every interval until ctx ends or the returned stop
// function is called; stop waits for the goroutine to finish.
func every(ctx context.Context, interval time.Duration, f func()) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { cancel(); <-done }
}
