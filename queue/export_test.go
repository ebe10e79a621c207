package queue

// GateSeen is how many of Asynq's dequeue and forward scripts the idle
// gate of c has recognised.
func (c *Conn) GateSeen() (dequeues, forwards int64) {
	return c.gate.dequeues.Load(), c.gate.forwards.Load()
}
