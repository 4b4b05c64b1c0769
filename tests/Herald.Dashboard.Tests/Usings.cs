global using Herald.Dashboard.Tests.Infrastructure;
global using Microsoft.Playwright;
global using static Microsoft.Playwright.Assertions;
