package core

// Median exposes median to the external tests.
var Median = median

// AcceptCallers is how many Accept calls of the request hold or wait for
// its turn in s.
func AcceptCallers(s *Service, requestID string) int {
	s.accepts.mu.Lock()
	defer s.accepts.mu.Unlock()
	if g := s.accepts.gates[requestID]; g != nil {
		return g.users
	}
	return 0
}

// ValidEmail, CheckPassword and CommonPasswords expose the account rules.
var (
	ValidEmail      = validEmail
	CheckPassword   = checkPassword
	CommonPasswords = commonPasswords
)
