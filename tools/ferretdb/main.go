// Command ferretdb runs FerretDB v1.24 with its SQLite backend for the local
// stack and the tests. It wraps the embeddable package because the binary
// that `go install .../cmd/ferretdb@v1.24.2` builds panics at start-up: it
// expects a build/version/version.txt that only FerretDB's own build writes.
// The embeddable package always disables telemetry.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on; loopback only")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite backend folder as a file: URI ending in /")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	host, _, err := net.SplitHostPort(*listenAddr)
	if err != nil {
		fail("invalid --listen-addr %q: %v; expected host:port", *listenAddr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fail("invalid --listen-addr %q: host must be a loopback address such as 127.0.0.1", *listenAddr)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("invalid --log-level %q; expected debug, info, warn or error", *logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		fail("ferretdb failed to start: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()

	// The listener is bound once MongoDBURI returns an address; with port 0
	// this line is how the parent process learns the real port.
	fmt.Println(f.MongoDBURI())

	<-done
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}
