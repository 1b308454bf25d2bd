from claudechat.cli import main

raise SystemExit(main())
