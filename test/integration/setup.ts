// Integration tests start real servers (the broker, PostgreSQL): give them room beyond Jest's 5 s default.
jest.setTimeout(60_000);
