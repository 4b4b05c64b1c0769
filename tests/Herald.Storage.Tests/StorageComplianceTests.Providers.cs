using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    [Fact]
    public async Task ProvidersInsertAsync_NewProvider_FindByIdReturnsEveryField()
    {
        var provider = NewProvider("kaleyra") with
        {
            Kind = "kaleyra",
            Settings = """{"sid":"HXIN1","apiKey":"enc:AbC==","note":"ünïcödé ✓"}""",
            CreatedAt = new DateTimeOffset(2025, 2, 3, 4, 5, 6, 789, TimeSpan.Zero),
            UpdatedAt = new DateTimeOffset(2025, 2, 3, 9, 35, 7, 123, TimeSpan.FromHours(5.5)),
            RateLimit = 50,
            MaxInFlight = 5,
            MaxSegments = 7,
        };

        await Db.Providers.InsertAsync(provider, Ct);

        var found = await Db.Providers.FindAsync(provider.Id, Ct);
        Assert.Equal(provider, found);
        Assert.Equal(TimeSpan.Zero, found!.UpdatedAt.Offset);
    }

    [Fact]
    public async Task ProvidersFindAsync_NicknameInAnotherCase_FindsProvider()
    {
        var provider = NewProvider("Kaleyra-Main");
        await Db.Providers.InsertAsync(provider, Ct);

        Assert.Equal(provider.Id, (await Db.Providers.FindAsync(provider.Nickname.ToUpperInvariant(), Ct))?.Id);
        Assert.Equal(provider.Id, (await Db.Providers.FindAsync(provider.Nickname.ToLowerInvariant(), Ct))?.Id);
        Assert.Equal(provider.Id, (await Db.Providers.FindAsync($"  {provider.Nickname} ", Ct))?.Id);
        Assert.Equal(provider.Nickname, (await Db.Providers.FindAsync(provider.Nickname.ToUpperInvariant(), Ct))?.Nickname);
    }

    [Fact]
    public async Task ProvidersFindAsync_Unknown_ReturnsNull()
    {
        Assert.Null(await Db.Providers.FindAsync($"nobody-{Unique()}", Ct));
    }

    [Fact]
    public async Task ProvidersFindAsync_IdEqualsAnotherProvidersNickname_PrefersId()
    {
        var first = NewProvider("first");
        var second = NewProvider("second") with { Nickname = first.Id.ToUpperInvariant() };
        await Db.Providers.InsertAsync(first, Ct);
        await Db.Providers.InsertAsync(second, Ct);

        Assert.Equal(first.Id, (await Db.Providers.FindAsync(first.Id, Ct))?.Id);
    }

    [Fact]
    public async Task ProvidersListAsync_SeveralProviders_OrderedByNicknameIgnoringCase()
    {
        var tag = Unique();
        var charlie = NewProvider("x") with { Nickname = $"{tag}-charlie" };
        var alpha = NewProvider("x") with { Nickname = $"{tag}-Alpha" };
        var bravo = NewProvider("x") with { Nickname = $"{tag}-BRAVO" };
        foreach (var provider in new[] { charlie, alpha, bravo })
        {
            await Db.Providers.InsertAsync(provider, Ct);
        }

        var mine = (await Db.Providers.ListAsync(Ct)).Where(p => p.Nickname.StartsWith(tag, StringComparison.Ordinal)).ToList();

        Assert.Equal([alpha, bravo, charlie], mine);
    }

    [Fact]
    public async Task ProvidersInsertAsync_NicknameTakenInAnotherCase_ThrowsDuplicateNicknameException()
    {
        var provider = NewProvider("dup");
        await Db.Providers.InsertAsync(provider, Ct);
        var clash = NewProvider("other") with { Nickname = $" {provider.Nickname.ToUpperInvariant()}" };

        var ex = await Assert.ThrowsAsync<DuplicateNicknameException>(() => Db.Providers.InsertAsync(clash, Ct));

        Assert.Equal(clash.Nickname, ex.Nickname);
        Assert.Null(await Db.Providers.FindAsync(clash.Id, Ct));
    }

    [Fact]
    public async Task ProvidersInsertAsync_IdTakenNicknameFree_ThrowsButNotDuplicateNickname()
    {
        var provider = NewProvider("original");
        await Db.Providers.InsertAsync(provider, Ct);
        var sameId = NewProvider("fresh") with { Id = provider.Id };

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Db.Providers.InsertAsync(sameId, Ct));

        Assert.IsNotType<DuplicateNicknameException>(ex);
        Assert.Equal(provider, await Db.Providers.FindAsync(provider.Id, Ct));
        Assert.Null(await Db.Providers.FindAsync(sameId.Nickname, Ct));
    }

    [Fact]
    public async Task ProvidersUpdateAsync_Existing_ReplacesNicknameKindAndSettings()
    {
        var provider = NewProvider("before");
        await Db.Providers.InsertAsync(provider, Ct);
        Time.Advance(TimeSpan.FromMinutes(5));
        var changed = provider with
        {
            Nickname = $"after-{Unique()}",
            Kind = "sandbox",
            Settings = """{"failureRate":0.1}""",
            UpdatedAt = Time.GetUtcNow(),
            MaxSegments = 3,
        };

        Assert.True(await Db.Providers.UpdateAsync(changed, Ct));

        Assert.Equal(changed, await Db.Providers.FindAsync(provider.Id, Ct));
        Assert.Equal(provider.Id, (await Db.Providers.FindAsync(changed.Nickname.ToUpperInvariant(), Ct))?.Id);
        Assert.Null(await Db.Providers.FindAsync(provider.Nickname, Ct));
    }

    [Fact]
    public async Task ProvidersSetCredentialsStatusAsync_MarksAndClears_AndAnUpdateClearsToo()
    {
        var provider = NewProvider("creds");
        await Db.Providers.InsertAsync(provider, Ct);

        await Db.Providers.SetCredentialsStatusAsync(provider.Id, Time.GetUtcNow(), "HTTP 401: bad key", Ct);
        var marked = await Db.Providers.FindAsync(provider.Id, Ct);
        Assert.Equal(Time.GetUtcNow(), marked!.CredentialsFailedAt);
        Assert.Equal("HTTP 401: bad key", marked.CredentialsError);

        await Db.Providers.SetCredentialsStatusAsync(provider.Id, null, null, Ct);
        Assert.Null((await Db.Providers.FindAsync(provider.Id, Ct))!.CredentialsFailedAt);

        await Db.Providers.SetCredentialsStatusAsync(provider.Id, Time.GetUtcNow(), "HTTP 403", Ct);
        await Db.Providers.UpdateAsync(provider with { Settings = "{}", UpdatedAt = Time.GetUtcNow() }, Ct);
        var updated = await Db.Providers.FindAsync(provider.Id, Ct);
        Assert.Null(updated!.CredentialsFailedAt);
        Assert.Null(updated.CredentialsError);
    }

    [Fact]
    public async Task ProvidersUpdateAsync_KeepsCreatedAtAndCallbackToken()
    {
        var provider = NewProvider("stable");
        await Db.Providers.InsertAsync(provider, Ct);

        Assert.True(await Db.Providers.UpdateAsync(provider with
        {
            CallbackToken = "tok_changed",
            CreatedAt = provider.CreatedAt.AddDays(-1),
            UpdatedAt = provider.UpdatedAt.AddMinutes(1),
        }, Ct));

        var found = await Db.Providers.FindAsync(provider.Id, Ct);
        Assert.Equal(provider.CallbackToken, found?.CallbackToken);
        Assert.Equal(provider.CreatedAt, found?.CreatedAt);
        Assert.Equal(provider.UpdatedAt.AddMinutes(1), found?.UpdatedAt);
    }

    [Fact]
    public async Task ProvidersUpdateAsync_OwnNicknameInAnotherCase_Succeeds()
    {
        var provider = NewProvider("casey");
        await Db.Providers.InsertAsync(provider, Ct);

        Assert.True(await Db.Providers.UpdateAsync(provider with { Nickname = provider.Nickname.ToUpperInvariant() }, Ct));

        Assert.Equal(provider.Nickname.ToUpperInvariant(), (await Db.Providers.FindAsync(provider.Id, Ct))?.Nickname);
    }

    [Fact]
    public async Task ProvidersUpdateAsync_NicknameTakenByAnother_ThrowsDuplicateNicknameException()
    {
        var first = NewProvider("first");
        var second = NewProvider("second");
        await Db.Providers.InsertAsync(first, Ct);
        await Db.Providers.InsertAsync(second, Ct);

        await Assert.ThrowsAsync<DuplicateNicknameException>(
            () => Db.Providers.UpdateAsync(second with { Nickname = first.Nickname.ToUpperInvariant() }, Ct));

        Assert.Equal(second, await Db.Providers.FindAsync(second.Id, Ct));
    }

    [Fact]
    public async Task ProvidersUpdateAsync_Unknown_ReturnsFalse()
    {
        Assert.False(await Db.Providers.UpdateAsync(NewProvider("ghost"), Ct));
    }

    [Fact]
    public async Task ProvidersDeleteAsync_Existing_RemovesItAndFreesNickname()
    {
        var provider = NewProvider("gone");
        await Db.Providers.InsertAsync(provider, Ct);

        Assert.True(await Db.Providers.DeleteAsync(provider.Id, Ct));
        Assert.False(await Db.Providers.DeleteAsync(provider.Id, Ct));

        Assert.Null(await Db.Providers.FindAsync(provider.Id, Ct));
        Assert.DoesNotContain(await Db.Providers.ListAsync(Ct), p => p.Id == provider.Id);
        await Db.Providers.InsertAsync(NewProvider("again") with { Nickname = provider.Nickname }, Ct);
    }

    [Fact]
    public async Task ProvidersDeleteAsync_ProviderWithMessages_MessagesKeepTheirHistory()
    {
        var provider = NewProvider("history");
        await Db.Providers.InsertAsync(provider, Ct);
        var message = await InsertMessageAsync(m => m with { ProviderId = provider.Id, ProviderNickname = provider.Nickname });

        Assert.True(await Db.Providers.DeleteAsync(provider.Id, Ct));

        Assert.Equal(message, await Db.Messages.GetAsync(message.Id, Ct));
        Assert.Single(await Db.Messages.GetEventsAsync(message.Id, Ct));
    }
}
