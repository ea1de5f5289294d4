package main

import (
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The vocabulary of the workload: services, routes, user agents and personal data that look like what the
// OTel SDKs and instrumentations of a web shop send (semantic conventions v1.37: http.request.method,
// url.full, user_agent.original, db.system.name, db.query.text, messaging.operation.type, ...).

type service struct {
	name, namespace, version, language string
}

var services = []service{
	{"frontend", "shop", "2.14.1", "nodejs"},
	{"checkout", "shop", "1.9.0", "go"},
	{"payment", "shop", "3.2.7", "java"},
	{"catalog", "shop", "1.22.3", "python"},
	{"accounts", "identity", "0.41.0", "go"},
	{"auth", "identity", "5.0.2", "java"},
}

// route is an HTTP route of the shop, the service that serves it and its typical latency in milliseconds.
type route struct {
	method, template string
	service          int
	path             func(r *rand.Rand) string
	typicalMS        int
}

var routes = []route{
	{"GET", "/", 0, func(*rand.Rand) string { return "/" }, 25},
	{"GET", "/api/products/{id}", 3, func(r *rand.Rand) string { return fmt.Sprintf("/api/products/%d", r.IntN(90000)+1000) }, 30},
	{"GET", "/api/search", 3, func(*rand.Rand) string { return "/api/search" }, 80},
	{"POST", "/api/cart/items", 1, func(*rand.Rand) string { return "/api/cart/items" }, 40},
	{"POST", "/api/checkout", 1, func(*rand.Rand) string { return "/api/checkout" }, 120},
	{"POST", "/api/payment/charge", 2, func(*rand.Rand) string { return "/api/payment/charge" }, 200},
	{"POST", "/api/auth/login", 5, func(*rand.Rand) string { return "/api/auth/login" }, 60},
	{"GET", "/api/users/{id}/orders", 4, func(r *rand.Rand) string { return fmt.Sprintf("/api/users/%d/orders", r.IntN(1_000_000)) }, 45},
	{"GET", "/api/orders/{id}", 1, func(r *rand.Rand) string { return fmt.Sprintf("/api/orders/%08x", r.Uint32()) }, 35},
}

// probePaths are the health checks filter/probes drops in configs/agent.yaml.
var probePaths = []string{"/healthz", "/readyz", "/livez"}

var searchTerms = []string{"running shoes", "usb-c cable", "coffee grinder", "rain jacket", "desk lamp", "headphones"}

var browserUserAgents = func() []string {
	var uas []string
	for i := range 12 {
		uas = append(uas,
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36", 124+i, 6367+i*41, 60+i*7),
			fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.%d Safari/605.1.15", i%6),
			fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", 120+i, 120+i),
			fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 17_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.%d Mobile/15E148 Safari/604.1", i%6, i%6),
			fmt.Sprintf("Mozilla/5.0 (Linux; Android 14; Pixel %d) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", 6+i%3, 124+i),
		)
	}
	return append(uas, "okhttp/4.12.0", "python-requests/2.32.3", "Go-http-client/2.0")
}()

// syntheticUserAgents are uptime and synthetic-monitoring checks (tail_policy keeps them by default).
var syntheticUserAgents = []string{
	"Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4_(http://www.pingdom.com/))",
	"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
	"Checkly/1.0 (https://www.checklyhq.com)",
	"Datadog/Synthetics",
}

const probeUserAgent = "kube-probe/1.31"

var firstNames = []string{"jane", "john", "maria", "wei", "fatima", "lukas", "aiko", "carlos", "olga", "samir"}
var lastNames = []string{"doe", "smith", "garcia", "chen", "khan", "mueller", "tanaka", "silva", "ivanova", "haddad"}
var mailDomains = []string{"example.com", "mail.example.org", "example.net"}

// Personal data of the kinds pii_scrub and the redaction patterns look for.
func email(r *rand.Rand) string {
	return firstNames[r.IntN(len(firstNames))] + "." + lastNames[r.IntN(len(lastNames))] + fmt.Sprintf("%d@", r.IntN(100)) + mailDomains[r.IntN(len(mailDomains))]
}

func phone(r *rand.Rand) string {
	return fmt.Sprintf("+49 151 %04d %04d", r.IntN(10000), r.IntN(10000))
}

// cards are test numbers of the big issuers (they pass the Luhn check).
var cards = []string{"4111 1111 1111 1111", "5555555555554444", "3782 822463 10005", "4012-8888-8888-1881"}

var ibans = []string{"DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819", "FR1420041010050500013M02606"}

const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

func publicIP(r *rand.Rand) string {
	return fmt.Sprintf("%d.%d.%d.%d", []int{81, 93, 145, 188, 203}[r.IntN(5)], r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

func podIP(r *rand.Rand) string { return fmt.Sprintf("10.42.%d.%d", r.IntN(8), 2+r.IntN(250)) }

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// putResource writes the resource attributes an SDK and the k8s_attributes processor would set.
func putResource(r *rand.Rand, attrs pcommon.Map, s service, pod int) {
	attrs.PutStr("service.name", s.name)
	attrs.PutStr("service.namespace", s.namespace)
	attrs.PutStr("service.version", s.version)
	attrs.PutStr("service.instance.id", fmt.Sprintf("%s-%d", s.name, pod))
	attrs.PutStr("deployment.environment.name", "production")
	attrs.PutStr("telemetry.sdk.name", "opentelemetry")
	attrs.PutStr("telemetry.sdk.language", s.language)
	attrs.PutStr("telemetry.sdk.version", "1.38.0")
	attrs.PutStr("k8s.namespace.name", s.namespace)
	attrs.PutStr("k8s.pod.name", fmt.Sprintf("%s-7d9f8b6c5-%s", s.name, hexID(r, 5)))
	attrs.PutStr("k8s.pod.ip", podIP(r))
	attrs.PutStr("k8s.node.name", fmt.Sprintf("node-%d", pod%3))
	attrs.PutStr("host.name", fmt.Sprintf("node-%d", pod%3))
}
