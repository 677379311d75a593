// Command shoal shares, downloads and streams content over a hybrid
// peer-to-peer swarm. Run "shoal help" for the commands.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
