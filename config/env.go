package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Env is what the process takes from its SWITCHBOARD_* environment
// variables. The composition root reads it once, with [ReadEnv], and hands
// the values on; nothing else in the program reads these variables. (The
// ${NAME} references of a config file are expanded by [Parse], from any
// variable.)
type Env struct {
	// Config is SWITCHBOARD_CONFIG: the config file when --config is not
	// given. Empty: the built-in defaults.
	Config string
	// Addr is SWITCHBOARD_ADDR: the listen address that replaces
	// server.addr when --addr is not given ([Config.SetAddr]).
	Addr string
	// LogFormat and LogLevel are SWITCHBOARD_LOG_FORMAT (text, json;
	// default text) and SWITCHBOARD_LOG_LEVEL (debug, info, warn, error;
	// default info), the defaults of --log-format and --log-level.
	LogFormat, LogLevel string
	// AdminEmail and AdminPassword are SWITCHBOARD_ADMIN_EMAIL and
	// SWITCHBOARD_ADMIN_PASSWORD: the first admin, made when no admin
	// exists. Once one does, they are ignored.
	AdminEmail    string
	AdminPassword Secret
	// BcryptCost is SWITCHBOARD_BCRYPT_COST, the password hashing cost
	// (4–31); 0 when unset: core's default.
	BcryptCost int
}

// Environment variable names read by [ReadEnv].
const (
	EnvConfig        = "SWITCHBOARD_CONFIG"
	EnvAddr          = "SWITCHBOARD_ADDR"
	EnvLogFormat     = "SWITCHBOARD_LOG_FORMAT"
	EnvLogLevel      = "SWITCHBOARD_LOG_LEVEL"
	EnvAdminEmail    = "SWITCHBOARD_ADMIN_EMAIL"
	EnvAdminPassword = "SWITCHBOARD_ADMIN_PASSWORD"
	EnvBcryptCost    = "SWITCHBOARD_BCRYPT_COST"
)

// ReadEnv reads the SWITCHBOARD_* variables with lookup (os.LookupEnv in
// the binary). A variable that is set to an invalid value is an error
// naming it; every other field is filled all the same.
func ReadEnv(lookup func(string) (string, bool)) (Env, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return v
	}
	e := Env{
		Config:        get(EnvConfig),
		Addr:          get(EnvAddr),
		LogFormat:     get(EnvLogFormat),
		LogLevel:      get(EnvLogLevel),
		AdminEmail:    get(EnvAdminEmail),
		AdminPassword: NewSecret(get(EnvAdminPassword)),
	}
	if e.LogFormat == "" {
		e.LogFormat = "text"
	}
	if e.LogLevel == "" {
		e.LogLevel = "info"
	}
	var errs []error
	if v := get(EnvBcryptCost); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n > 31 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number from 4 to 31", EnvBcryptCost, v))
		} else {
			e.BcryptCost = n
		}
	}
	if e.Addr != "" {
		if err := CheckAddr(e.Addr); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvAddr, e.Addr, err))
		}
	}
	return e, errors.Join(errs...)
}

// SetAddr replaces server.addr (the --addr flag, SWITCHBOARD_ADDR); addr
// must be host:port or :port, as server.addr must.
func (c *Config) SetAddr(addr string) error {
	if err := CheckAddr(addr); err != nil {
		return err
	}
	c.Server.Addr = addr
	return nil
}

// CheckAddr checks a listen address by the rule of server.addr: host:port
// or :port, the port a number from 0 to 65535.
func CheckAddr(addr string) error {
	if addr == "" {
		return errors.New("is required (such as :8080)")
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || !validPort(port) {
		return fmt.Errorf("must be host:port or :port (got %q)", addr)
	}
	return nil
}
