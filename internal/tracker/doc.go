// Package tracker implements Shoal's HTTP tracker: a Server (an
// http.Handler) that keeps, per swarm, the peers that announced recently and
// hands each one a random sample of the others, and a Client that announces
// to such a server.
//
// Protocol:
//
//	GET /announce?swarm=<base32 swarm id>&peer=<libp2p peer id>&port=<tcp port>
//	    [&qport=<udp quic port>][&event=started|stopped|empty][&numwant=<n>]
//
// answers 200 with {"interval": <seconds>, "peers": [{"id": ..., "addrs": [...]}]}
// where addrs are multiaddr strings ("/ip4/1.2.3.4/tcp/4001",
// "/ip4/1.2.3.4/udp/4001/quic-v1"). The IP address is always the one the
// request came from; only the ports are taken from the query. Errors answer
// 4xx with {"error": "..."}. GET /healthz answers "ok".
//
// Members of private content add &key=&cred=&proof=&t= (private.go); they
// are verified, kept apart from everyone else, and announces without them
// for a private channel answer 403.
package tracker
