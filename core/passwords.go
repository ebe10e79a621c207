package core

import (
	"strings"
	"unicode/utf8"
)

// Password rules. Every agent password, however it is set (first admin,
// POST and PATCH /v1/admin/agents, `agents add`, `agents passwd`), passes
// checkPassword before it is hashed.
const (
	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 10
	// MaxPasswordBytes is bcrypt's limit: it ignores what follows.
	MaxPasswordBytes = 72
)

// checkPassword refuses passwords an attacker tries first: shorter than
// MinPasswordLen characters, blank, one character repeated, or one of the
// commonest passwords of breach lists (compared case-insensitively, so
// "Password123" is refused with "password123").
func checkPassword(pw string) error {
	switch {
	case pw == "":
		return Invalid("password", "is required")
	case !utf8.ValidString(pw):
		return Invalid("password", "must be valid UTF-8")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return Invalid("password", "must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return Invalid("password", "must be at most %d bytes", MaxPasswordBytes)
	case strings.TrimSpace(pw) == "":
		return Invalid("password", "must not be blank")
	case oneRune(pw):
		return Invalid("password", "must not be one character repeated")
	case commonPasswords[strings.ToLower(strings.TrimSpace(pw))]:
		return Invalid("password", "is one of the most common passwords; choose another")
	}
	return nil
}

// oneRune reports a string of a single character repeated.
func oneRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

// commonPasswords are the passwords of at least MinPasswordLen characters
// that lead the lists of leaked passwords, lower-cased, with the names of
// this product (NIST SP 800-63B asks for the service's own name too).
// Shorter ones ("12345678", "password") are refused by length already.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, pw := range strings.Fields(`
		1234567890 0987654321 12345678910 1234567891 123456789a a123456789 123456789q
		1234512345 1122334455 1212121212 1231231234 123123123123 1234554321 1111122222
		1357924680 1472583690 9876543210 0123456789 123456789abc abc1234567 abcd123456
		abcdefghij abcdefg123 abcde12345 aa12345678 qwerty1234 qwerty12345 qwerty123456
		qwertyuiop qwertyuiop1 qwertyuiop123 asdfghjkl1 asdfghjkl123 asdfghjkl; zxcvbnm123
		zxcvbnmasdf qwertyasdf qwerty123! qwerty@123 qwertyqwerty 1q2w3e4r5t 1q2w3e4r5t6y
		q1w2e3r4t5 q1w2e3r4t5y6 1qaz2wsx3edc 1qazxsw23edc qazwsxedc123 qazwsxedcrfv
		qweasdzxc123 123qweasdzxc 1qaz2wsx1qaz zaq12wsxcde3 password12 password123
		password1234 password12345 password123! password@123 password!123 password1!
		passw0rd123 p@ssw0rd123 p@ssword123 p@ssw0rd12 pa$$w0rd123 mypassword mypassword1
		mypassword123 newpassword newpassword1 secretpassword supersecret supersecret1
		iloveyou12 iloveyou123 iloveyou1234 iloveyou!! loveyou123 letmein123 letmein1234
		welcome123 welcome1234 welcome@123 welcome2024 welcome2025 welcome2026 admin12345
		admin123456 admin@1234 admin@12345 administrator administrator1 adminadmin
		adminadmin1 rootroot123 changeme123 changemenow change-me! replace_me replaceme1
		default123 football123 baseball123 basketball basketball1 soccer1234 hockey1234
		sunshine123 princess123 superman123 starwars123 pokemon123 computer123 internet123
		whatever123 chocolate1 butterfly1 liverpool1 liverpool123 manchester
		manchesterunited chelsea123 arsenal123 barcelona1 realmadrid michael123
		jennifer123 jordan2323 1qaz!qaz1qaz india12345 pakistan123 bangladesh
		summer2024 summer2025 summer2026 spring2025 autumn2025 winter2025 winter2026
		monday1234 helloworld helloworld1 hello12345 hello123456 trustno1234
		switchboard switchboard1 switchboard123 switchboard!
	`) {
		m[pw] = true
	}
	return m
}()
