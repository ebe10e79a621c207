/* Switchboard chat widget — contents follow. */
