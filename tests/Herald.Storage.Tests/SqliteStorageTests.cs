using Herald.Storage.Tests.Infrastructure;

namespace Herald.Storage.Tests;

/// <summary>The storage compliance suite on a real SQLite file in a fresh temporary folder.</summary>
public sealed class SqliteStorageTests(SqliteStorageFixture fixture) : StorageComplianceTests(fixture), IClassFixture<SqliteStorageFixture>;
