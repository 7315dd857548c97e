import t from 'tap'
import { conformanceSuite } from './suite'

// The table on every runtime's bare interpreter: each function a real host process on loopback.
t.test('conformance table on the interpreters', (t) => conformanceSuite(t, 'process'))
