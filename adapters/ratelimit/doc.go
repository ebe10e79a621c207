// Package ratelimit counts failures in fixed windows on Redis, so every
// gateway of a deployment shares the count (login brute-force protection).
package ratelimit
