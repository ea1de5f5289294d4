package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// entity is a type of finding: a built-in detector's, then key-rule entities and custom patterns (engine.go
// numbers those after numBuiltin).
type entity uint16

const (
	entEmail entity = iota
	entCard
	entSSN
	entIP
	entIBAN
	entPhone
	entJWT
	entAuth
	entURLSecret
	numBuiltin
)

// noEntity marks "no finding".
const noEntity entity = 0xFFFF

var builtinNames = [numBuiltin]string{"email", "card", "ssn", "ip", "iban", "phone", "jwt", "auth", "url_secret"}
