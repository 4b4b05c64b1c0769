using Herald.Storage.Tests.Infrastructure;

namespace Herald.Storage.Tests;

/// <summary>
/// The storage compliance suite on a fresh database on the PostgreSQL server named by <c>HERALD_TEST_POSTGRES</c>
/// (./test.sh starts one). Without the variable these tests fail and say how to get a server: they never skip.
/// </summary>
public sealed class PostgresStorageTests(PostgresStorageFixture fixture) : StorageComplianceTests(fixture), IClassFixture<PostgresStorageFixture>;
