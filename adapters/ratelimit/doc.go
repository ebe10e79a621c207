// Package ratelimit holds the gateway's abuse limits.
//
// Rates (Rule, Backoff) are kept in Redis with the generic cell rate
// algorithm of github.com/go-redis/redis_rate, one atomic Lua script per
// check, so every gateway of a deployment shares each count and
// concurrent requests cannot race past a limit; the script runs on a
// real Redis and on the embedded one (miniredis) alike. Keys are hashed,
// so no e-mail, address or token sits in Redis in the clear.
//
// Logins is the login policy built from them: a strict limit per
// (e-mail, client address), a limit per client address, and a growing
// delay per e-mail that slows guessing from many addresses without ever
// locking the owner of the e-mail out.
//
// Slots bounds how many things one key may have in progress at once in
// this process (event streams per visitor token, searches per agent).
package ratelimit
