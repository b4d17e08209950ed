from wikibot.cli import main

main()
